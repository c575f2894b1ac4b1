using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkerPool.Health;

/// <summary>What the health file holds: read by <c>deploy-scripts/update.sh</c> to decide whether a new release works.</summary>
public sealed record HealthFileContent(string State, string? Reason, string Version, int Pid, DateTimeOffset Time);

/// <summary>Writes the health file atomically (temp file, then rename), so a reader never sees half of it.</summary>
public static class HealthFile
{
    // Relaxed escaping keeps '+' in versions literal, so shell scripts can grep for them.
    private static readonly HealthJsonContext Json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> as one line of JSON.</summary>
    public static void Write(string path, HealthFileContent content)
    {
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, [.. JsonSerializer.SerializeToUtf8Bytes(content, Json.HealthFileContent), (byte)'\n']);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a health file; null when it is missing or unreadable.</summary>
    public static HealthFileContent? Read(string path)
    {
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(path), Json.HealthFileContent); }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }
}

/// <summary>Source-generated JSON for the health file (trim-safe).</summary>
[JsonSerializable(typeof(HealthFileContent))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;

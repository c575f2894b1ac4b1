using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkerPool.Health;

/// <summary>What the health file holds: read by <c>deploy-scripts/update.sh</c> to decide whether a new release works.</summary>
public sealed record HealthFileContent(string State, string? Reason, string Version, int Pid, DateTimeOffset Time);

/// <summary>
/// Writes the health file atomically (temp file, then rename), so a reader never sees half of it. The file is padded
/// with spaces to <see cref="MinBytes"/>, so that on a full disk, where the temp file cannot be made, the verdict is
/// written over the old one in place (no new blocks needed) rather than leaving a stale "healthy" behind.
/// </summary>
public static class HealthFile
{
    /// <summary>Size every health file is padded to (JSON allows trailing whitespace).</summary>
    public const int MinBytes = 1024;

    // Relaxed escaping keeps '+' in versions literal, so shell scripts can grep for them.
    private static readonly HealthJsonContext Json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> as one line of JSON.</summary>
    public static void Write(string path, HealthFileContent content)
    {
        byte[] bytes = Padded(content, MinBytes);
        string tmp = path + ".tmp";
        try
        {
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException) when (File.Exists(path) && new FileInfo(path).Length >= bytes.Length)
        {
            // No room for a new file (ENOSPC): overwrite the old one's blocks.
            try { File.Delete(tmp); } catch (IOException) { }
            WriteInPlace(path, content);
        }
    }

    /// <summary>
    /// Overwrites the existing file's bytes with <paramref name="content"/>, padded to the file's whole length so no
    /// byte of a longer old verdict stays behind; needs no new disk blocks when the content fits.
    /// </summary>
    internal static void WriteInPlace(string path, HealthFileContent content)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.Write(Padded(content, (int)Math.Min(int.MaxValue, file.Length)));
        file.Flush();
    }

    /// <summary>One line of JSON, spaces up to <paramref name="length"/>, then a newline.</summary>
    private static byte[] Padded(HealthFileContent content, int length)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(content, Json.HealthFileContent);
        byte[] bytes = new byte[Math.Max(length, json.Length + 1)];
        json.CopyTo(bytes, 0);
        bytes.AsSpan(json.Length, bytes.Length - json.Length - 1).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
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

using System.Text.Json;

namespace WorkerPool.Fleet.Rollout;

/// <summary>
/// A release manifest from publish.sh (<c>release.json</c>, <c>release.json.sig</c> beside it), as the rollout hands it
/// to devices: its exact bytes, so the device's root helper verifies the same signature publish.sh made.
/// </summary>
internal sealed record ReleaseManifest(string Version, string Rid, string Archive, byte[] Bytes, string Signature)
{
    /// <summary>Reads <paramref name="file"/> and its signature; throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static ReleaseManifest Read(FileInfo file)
    {
        if (!file.Exists) throw new InvalidDataException($"{file.FullName} does not exist");
        var sig = new FileInfo(file.FullName + ".sig");
        if (!sig.Exists) throw new InvalidDataException($"{file.FullName} is unsigned (no {sig.Name} beside it): devices refuse unsigned releases; publish with RELEASE_SIGNING_KEY set");
        byte[] bytes = File.ReadAllBytes(file.FullName);
        string? version, rid, archive;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            string? Field(string name) => doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            (version, rid, archive) = (Field("version"), Field("rid"), Field("archive"));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{file.FullName} is not a release manifest ({ex.Message})", ex);
        }
        if (version is null || rid is null || archive is null)
            throw new InvalidDataException($"{file.FullName} lacks a version, rid or archive: use the release.json publish.sh wrote");
        string signature = File.ReadAllText(sig.FullName).Trim();
        return new(version, rid, archive, bytes, signature);
    }
}

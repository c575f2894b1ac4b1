using System.Text.Json;

namespace WorkerPool.Outbox;

/// <summary>
/// The last sequence number of each camera in a small JSON sidecar, replaced atomically (write, fsync, rename).
/// It outlives a database that had to be quarantined, so numbers continue instead of starting again at 1.
/// </summary>
internal sealed class SequenceFile(string path)
{
    public IEnumerable<(string Camera, long Last)> Read()
    {
        if (!File.Exists(path)) yield break;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException) { yield break; } // a torn sidecar only loses the extra protection
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) yield break;
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Value.TryGetInt64(out long last)) yield return (p.Name, last);
        }
    }

    public void Write(IReadOnlyDictionary<string, long> last)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                foreach (var (camera, seq) in last) json.WriteNumber(camera, seq);
                json.WriteEndObject();
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}

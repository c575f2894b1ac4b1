using System.Text.Json;

namespace WorkerPool.IntegrationTests.Replay;

/// <summary>The last stdout line of <c>replay</c>.</summary>
public sealed record ReplaySummary(long Frames, double Seconds, double Fps, Dictionary<string, (long In, long Out)> Lines, Dictionary<string, (double Mean, int Max)> Zones)
{
    public static ReplaySummary Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        return new ReplaySummary(
            root.GetProperty("frames").GetInt64(),
            root.GetProperty("seconds").GetDouble(),
            root.GetProperty("fps").GetDouble(),
            root.GetProperty("lines").EnumerateObject().ToDictionary(p => p.Name, p => (p.Value.GetProperty("in").GetInt64(), p.Value.GetProperty("out").GetInt64())),
            root.GetProperty("zones").EnumerateObject().ToDictionary(p => p.Name, p => (p.Value.GetProperty("mean").GetDouble(), p.Value.GetProperty("max").GetInt32())));
    }
}

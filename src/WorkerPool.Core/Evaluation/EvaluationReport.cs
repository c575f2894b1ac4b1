using System.Globalization;
using System.Text;
using System.Text.Json;

namespace WorkerPool.Evaluation;

/// <summary>One zone's device occupancy against the reference, over the same frames.</summary>
/// <param name="Mae">Mean absolute per-frame difference: a zone that reads 2 too high half the time and 2 too low the other half has the right mean and an MAE of 2.</param>
public sealed record ZoneAccuracy(string Id, double Mean, double RefMean, double Mae)
{
    /// <summary>Compares per-frame occupancy (index 0 = frame 1); frames beyond the shorter of the two count as 0 there.</summary>
    public static ZoneAccuracy Compare(string id, IReadOnlyList<int> device, IReadOnlyList<int> reference)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(reference);
        int frames = Math.Max(device.Count, reference.Count);
        if (frames == 0) return new ZoneAccuracy(id, 0, 0, 0);
        long sum = 0, refSum = 0, absSum = 0;
        for (int f = 0; f < frames; f++)
        {
            int d = f < device.Count ? device[f] : 0, r = f < reference.Count ? reference[f] : 0;
            sum += d;
            refSum += r;
            absSum += Math.Abs(d - r);
        }
        return new ZoneAccuracy(id, (double)sum / frames, (double)refSum / frames, (double)absSum / frames);
    }
}

/// <summary>The outcome of <c>evaluate</c>: the replay's counts against the ground truth's, per line and zone.</summary>
/// <param name="Frames">Frames the device counted.</param>
/// <param name="Fps">Frames per second of processing, as <c>replay</c>'s summary.</param>
public sealed record EvaluationReport(long Frames, double Fps, IReadOnlyList<LineAccuracy> Lines, IReadOnlyList<ZoneAccuracy> Zones)
{
    /// <summary>
    /// The one-line JSON summary: <c>{"frames","fps","lines":{id:{"in","out","refIn","refOut","missed":[{"frame","dir"}],"extra":[…]}},"zones":{id:{"mean","refMean","mae"}}}</c>
    /// (written with <see cref="Utf8JsonWriter"/>: the host is trimmed, so no reflection serialization).
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("frames", Frames);
            json.WriteNumber("fps", Math.Round(Fps, 2));
            json.WriteStartObject("lines");
            foreach (var line in Lines)
            {
                json.WriteStartObject(line.Id);
                json.WriteNumber("in", line.In);
                json.WriteNumber("out", line.Out);
                json.WriteNumber("refIn", line.RefIn);
                json.WriteNumber("refOut", line.RefOut);
                WriteCrossings(json, "missed", line.Missed);
                WriteCrossings(json, "extra", line.Extra);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartObject("zones");
            foreach (var zone in Zones)
            {
                json.WriteStartObject(zone.Id);
                json.WriteNumber("mean", Math.Round(zone.Mean, 3));
                json.WriteNumber("refMean", Math.Round(zone.RefMean, 3));
                json.WriteNumber("mae", Math.Round(zone.Mae, 3));
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The table for a person: per line the counts, reference, misses and extras; per zone the means and MAE; then each error by frame.</summary>
    public string ToTable()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"{Frames} frames at {Fps:F1} fps{Environment.NewLine}{Environment.NewLine}");
        if (Lines.Count > 0)
        {
            int width = Math.Max(4, Lines.Max(l => l.Id.Length));
            text.Append(c, $"{"line".PadRight(width)}  {"in",5} {"refIn",6} {"out",5} {"refOut",6} {"missed",7} {"extra",6}{Environment.NewLine}");
            foreach (var l in Lines)
                text.Append(c, $"{l.Id.PadRight(width)}  {l.In,5} {l.RefIn,6} {l.Out,5} {l.RefOut,6} {l.Missed.Count,7} {l.Extra.Count,6}{Environment.NewLine}");
            text.Append(c, $"summed |in-refIn|+|out-refOut|: {Lines.Sum(l => l.CountError)} of {Lines.Sum(l => l.RefIn + l.RefOut)}{Environment.NewLine}{Environment.NewLine}");
        }
        if (Zones.Count > 0)
        {
            int width = Math.Max(4, Zones.Max(z => z.Id.Length));
            text.Append(c, $"{"zone".PadRight(width)}  {"mean",7} {"refMean",7} {"mae",6}{Environment.NewLine}");
            foreach (var z in Zones)
                text.Append(c, $"{z.Id.PadRight(width)}  {z.Mean,7:F3} {z.RefMean,7:F3} {z.Mae,6:F3}{Environment.NewLine}");
            text.Append(Environment.NewLine);
        }
        foreach (var l in Lines)
        {
            foreach (var m in l.Missed) text.Append(c, $"missed {l.Id} {m.Dir} at frame {m.Frame} (ground-truth id {m.TrackId}){Environment.NewLine}");
            foreach (var e in l.Extra) text.Append(c, $"extra  {l.Id} {e.Dir} at frame {e.Frame} (track {e.TrackId}){Environment.NewLine}");
        }
        return text.ToString();
    }

    private static void WriteCrossings(Utf8JsonWriter json, string name, IReadOnlyList<Crossing> crossings)
    {
        json.WriteStartArray(name);
        foreach (var crossing in crossings)
        {
            json.WriteStartObject();
            json.WriteNumber("frame", crossing.Frame);
            json.WriteString("dir", crossing.Dir);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}

namespace WorkerPool.Evaluation;

/// <summary>One line's device counts against the reference, with the crossings that did not match.</summary>
public sealed record LineAccuracy(string Id, int In, int Out, int RefIn, int RefOut, IReadOnlyList<Crossing> Missed, IReadOnlyList<Crossing> Extra)
{
    /// <summary>|in - refIn| + |out - refOut|: what a window's totals would be off by.</summary>
    public int CountError => Math.Abs(In - RefIn) + Math.Abs(Out - RefOut);
}

/// <summary>
/// Matches device crossings to reference crossings per line and direction: pairs within the tolerance, closest in
/// time first (ties to the earlier frame), each crossing used once. A reference crossing left over is missed, a
/// device crossing left over is extra. Totals alone hide a miss that an extra elsewhere cancels; this does not.
/// </summary>
public static class CrossingMatcher
{
    /// <summary>Matches each of <paramref name="lineIds"/>; <paramref name="toleranceFrames"/> is ±1 s in frames.</summary>
    public static IReadOnlyList<LineAccuracy> Match(IEnumerable<string> lineIds, IEnumerable<Crossing> device, IEnumerable<Crossing> reference, long toleranceFrames)
    {
        ArgumentNullException.ThrowIfNull(lineIds);
        var deviceList = device.ToList();
        var referenceList = reference.ToList();
        var result = new List<LineAccuracy>();
        foreach (string id in lineIds)
        {
            var missed = new List<Crossing>();
            var extra = new List<Crossing>();
            foreach (int direction in new[] { 1, -1 })
            {
                var d = deviceList.Where(c => c.LineId == id && c.Direction == direction).OrderBy(c => c.Frame).ToList();
                var r = referenceList.Where(c => c.LineId == id && c.Direction == direction).OrderBy(c => c.Frame).ToList();
                var pairs = new List<(long Gap, long Frame, int D, int R)>();
                for (int i = 0; i < d.Count; i++)
                    for (int j = 0; j < r.Count; j++)
                        if (Math.Abs(d[i].Frame - r[j].Frame) <= toleranceFrames)
                            pairs.Add((Math.Abs(d[i].Frame - r[j].Frame), Math.Min(d[i].Frame, r[j].Frame), i, j));
                var usedD = new bool[d.Count];
                var usedR = new bool[r.Count];
                foreach (var pair in pairs.OrderBy(p => p.Gap).ThenBy(p => p.Frame).ThenBy(p => p.R).ThenBy(p => p.D))
                {
                    if (usedD[pair.D] || usedR[pair.R]) continue;
                    usedD[pair.D] = usedR[pair.R] = true;
                }
                missed.AddRange(r.Where((_, j) => !usedR[j]));
                extra.AddRange(d.Where((_, i) => !usedD[i]));
            }
            int Of(IEnumerable<Crossing> list, int direction) => list.Count(c => c.LineId == id && c.Direction == direction);
            result.Add(new LineAccuracy(id, Of(deviceList, 1), Of(deviceList, -1), Of(referenceList, 1), Of(referenceList, -1),
                [.. missed.OrderBy(c => c.Frame)], [.. extra.OrderBy(c => c.Frame)]));
        }
        return result;
    }
}

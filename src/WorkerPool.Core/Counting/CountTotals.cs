namespace WorkerPool.Counting;

/// <summary>One line's crossings since start.</summary>
public sealed record LineTotal(string Id, long In, long Out);

/// <summary>One zone's occupancy since start: mean and highest per processed frame.</summary>
public sealed record ZoneTotal(string Id, double Mean, int Max);

/// <summary>What one camera counted since start, taken at one moment.</summary>
public sealed record CountTotals(long FramesProcessed, long FramesLost, IReadOnlyList<LineTotal> Lines, IReadOnlyList<ZoneTotal> Zones)
{
    /// <summary>Nothing counted (a camera not running).</summary>
    public static readonly CountTotals None = new(0, 0, [], []);
}

using WorkerPool.Config;
using WorkerPool.Geometry;

namespace WorkerPool.Counting;

/// <summary>Occupancy of one zone: how many tracked feet points lie inside its polygon (normalized coordinates).</summary>
public sealed class ZoneCounter
{
    private readonly Point2[] _polygon;

    /// <summary>Creates the counter for a validated zone.</summary>
    public ZoneCounter(ZoneOptions zone)
    {
        Id = zone.Id;
        _polygon = zone.Polygon.Select(Point2.Of).ToArray();
    }

    /// <summary>Zone id.</summary>
    public string Id { get; }

    /// <summary>The polygon, normalized.</summary>
    public ReadOnlySpan<Point2> Polygon => _polygon;

    /// <summary>True when a normalized point is inside the zone.</summary>
    public bool Contains(Point2 p) => Planar.Contains(_polygon, p);
}

/// <summary>Running occupancy statistics over a number of frames.</summary>
public struct OccupancyStats
{
    /// <summary>Frames observed.</summary>
    public long Frames { readonly get; private set; }

    /// <summary>Sum of per-frame occupancy.</summary>
    public long Sum { readonly get; private set; }

    /// <summary>Lowest occupancy seen.</summary>
    public int Min { readonly get; private set; }

    /// <summary>Highest occupancy seen.</summary>
    public int Max { readonly get; private set; }

    /// <summary>Adds one frame's occupancy.</summary>
    public void Add(int occupancy)
    {
        Min = Frames == 0 ? occupancy : Math.Min(Min, occupancy);
        Max = Frames == 0 ? occupancy : Math.Max(Max, occupancy);
        Sum += occupancy;
        Frames++;
    }

    /// <summary>Mean occupancy (0 when no frames).</summary>
    public readonly double Mean => Frames == 0 ? 0 : (double)Sum / Frames;
}

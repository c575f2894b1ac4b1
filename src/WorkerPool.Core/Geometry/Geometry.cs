namespace WorkerPool.Geometry;

/// <summary>A point in image or normalized coordinates (x right, y down).</summary>
public readonly record struct Point2(double X, double Y)
{
    /// <summary>A point from a config's <c>[x, y]</c>.</summary>
    public static Point2 Of(double[] p) => new(p[0], p[1]);

    /// <summary>Vector difference.</summary>
    public static Point2 operator -(Point2 a, Point2 b) => new(a.X - b.X, a.Y - b.Y);
}

/// <summary>An axis-aligned box in frame pixels.</summary>
public readonly record struct BoxF(float X1, float Y1, float X2, float Y2)
{
    /// <summary>Box width.</summary>
    public float Width => X2 - X1;

    /// <summary>Box height.</summary>
    public float Height => Y2 - Y1;

    /// <summary>Area, zero for degenerate boxes.</summary>
    public float Area => MathF.Max(0, Width) * MathF.Max(0, Height);

    /// <summary>Bottom-centre: where a standing person touches the floor.</summary>
    public Point2 Feet => new((X1 + X2) * 0.5, Y2);

    /// <summary>Intersection over union of two boxes (0 when disjoint).</summary>
    public static float IoU(in BoxF a, in BoxF b)
    {
        float iw = MathF.Min(a.X2, b.X2) - MathF.Max(a.X1, b.X1);
        float ih = MathF.Min(a.Y2, b.Y2) - MathF.Max(a.Y1, b.Y1);
        if (iw <= 0 || ih <= 0) return 0;
        float inter = iw * ih;
        float union = a.Area + b.Area - inter;
        return union <= 0 ? 0 : inter / union;
    }
}

/// <summary>Plane geometry used by lines and zones.</summary>
public static class Planar
{
    /// <summary>z of (b - a) × (p - a): &gt; 0 when p is on one side of a→b, &lt; 0 on the other.</summary>
    public static double Cross(Point2 a, Point2 b, Point2 p) => (b.X - a.X) * (p.Y - a.Y) - (b.Y - a.Y) * (p.X - a.X);

    /// <summary>True when segments p1-p2 and q1-q2 intersect (touching counts).</summary>
    public static bool SegmentsIntersect(Point2 p1, Point2 p2, Point2 q1, Point2 q2)
    {
        double d1 = Cross(q1, q2, p1), d2 = Cross(q1, q2, p2);
        double d3 = Cross(p1, p2, q1), d4 = Cross(p1, p2, q2);
        if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
        return (d1 == 0 && OnSegment(q1, q2, p1)) || (d2 == 0 && OnSegment(q1, q2, p2))
            || (d3 == 0 && OnSegment(p1, p2, q1)) || (d4 == 0 && OnSegment(p1, p2, q2));
    }

    private static bool OnSegment(Point2 a, Point2 b, Point2 p) =>
        Math.Min(a.X, b.X) <= p.X && p.X <= Math.Max(a.X, b.X) && Math.Min(a.Y, b.Y) <= p.Y && p.Y <= Math.Max(a.Y, b.Y);

    /// <summary>Even-odd point-in-polygon test; points on the boundary count as inside (feet on the frame edge).</summary>
    public static bool Contains(ReadOnlySpan<Point2> polygon, Point2 p)
    {
        bool inside = false;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
            if (Cross(polygon[j], polygon[i], p) == 0 && OnSegment(polygon[j], polygon[i], p)) return true;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            Point2 a = polygon[i], b = polygon[j];
            if ((a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X - a.X) * (p.Y - a.Y) / (b.Y - a.Y) + a.X)
                inside = !inside;
        }
        return inside;
    }

    /// <summary>True when two non-adjacent edges of the closed polygon intersect.</summary>
    public static bool IsSelfIntersecting(ReadOnlySpan<Point2> polygon)
    {
        int n = polygon.Length;
        for (int i = 0; i < n; i++)
        {
            Point2 a1 = polygon[i], a2 = polygon[(i + 1) % n];
            for (int j = i + 1; j < n; j++)
            {
                // Adjacent edges share a vertex by construction; skip them.
                if (j == i || (j + 1) % n == i || (i + 1) % n == j) continue;
                if (SegmentsIntersect(a1, a2, polygon[j], polygon[(j + 1) % n])) return true;
            }
        }
        return false;
    }

    /// <summary>Distance from p to the infinite line through a and b.</summary>
    public static double DistanceToLine(Point2 a, Point2 b, Point2 p)
    {
        double len = Math.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
        return len == 0 ? 0 : Math.Abs(Cross(a, b, p)) / len;
    }
}

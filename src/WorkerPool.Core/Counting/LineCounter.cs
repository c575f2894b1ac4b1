using WorkerPool.Config;
using WorkerPool.Geometry;

namespace WorkerPool.Counting;

/// <summary>
/// Counts crossings of one line by tracked feet points, in normalized coordinates. A side is only taken once the
/// point is farther than the hysteresis from the line, and a crossing needs the path to pass through the segment,
/// so jitter on the line and walks around its ends never count.
/// </summary>
public sealed class LineCounter
{
    private readonly Point2 _from, _to;
    private readonly double _hysteresis;
    private readonly bool _bandBirths;
    private readonly Dictionary<int, (int Side, Point2 Point)> _state = [];

    /// <summary>Creates the counter for a validated line; <paramref name="bandBirths"/>: see <see cref="CountingOptions.BandBirthCrossings"/>.</summary>
    public LineCounter(LineOptions line, double hysteresis, bool bandBirths = false)
    {
        _bandBirths = bandBirths;
        Id = line.Id;
        _from = Point2.Of(line.From);
        _to = Point2.Of(line.To);
        _hysteresis = hysteresis;
    }

    /// <summary>Line id.</summary>
    public string Id { get; }

    /// <summary>Crossings from the positive side (cross product &gt; 0) to the negative one since creation.</summary>
    public long In { get; private set; }

    /// <summary>Crossings from the negative side to the positive one since creation.</summary>
    public long Out { get; private set; }

    /// <summary>Line start, normalized.</summary>
    public Point2 From => _from;

    /// <summary>Line end, normalized.</summary>
    public Point2 To => _to;

    /// <summary>
    /// Feeds a track's feet point (normalized). Returns +1 for an in crossing, -1 for out, 0 otherwise.
    /// <paramref name="jumped"/>: the tracker re-found the track farther than it could have walked since it was last
    /// seen (likely someone else): its side is taken from here on, and the jump is not a crossing.
    /// </summary>
    public int Observe(int trackId, Point2 feet, bool jumped = false)
    {
        double distance = Planar.Cross(_from, _to, feet) / Length;
        int side = distance > _hysteresis ? 1 : distance < -_hysteresis ? -1 : 0;
        if (!_state.TryGetValue(trackId, out var last))
        {
            // Born inside the band (side 0): its first side comes from where it goes, see below.
            _state[trackId] = (side, feet);
            return 0;
        }
        if (side == 0) return 0;
        _state[trackId] = (side, feet);
        if (jumped) return 0;
        if (last.Side == 0)
        {
            // Born inside the band (counted only with counting.bandBirthCrossings), now out of it: it came from the other side (its velocity says so), so it crossed,
            // where its birth point lies along the segment (a birth beyond the line's ends is not on the line).
            if (!_bandBirths || !WithinSegment(last.Point)) return 0;
            return Count(-side);
        }
        if (side == last.Side || !Planar.SegmentsIntersect(last.Point, feet, _from, _to)) return 0;
        return Count(last.Side);
    }

    // A crossing from side `from` (+1: the positive side, so "in").
    private int Count(int from)
    {
        if (from > 0) { In++; return 1; }
        Out++;
        return -1;
    }

    private bool WithinSegment(Point2 p)
    {
        double dx = _to.X - _from.X, dy = _to.Y - _from.Y;
        double t = ((p.X - _from.X) * dx + (p.Y - _from.Y) * dy) / (dx * dx + dy * dy);
        return t is >= 0 and <= 1;
    }

    /// <summary>Forgets a track that the tracker removed.</summary>
    public void Forget(int trackId) => _state.Remove(trackId);

    private double Length => Math.Sqrt((_to.X - _from.X) * (_to.X - _from.X) + (_to.Y - _from.Y) * (_to.Y - _from.Y));
}

using WorkerPool.Config;
using WorkerPool.Geometry;

namespace WorkerPool.Evaluation;

/// <summary>One line crossing, by the device or in the ground truth.</summary>
/// <param name="Frame">1-based frame on which the feet are first on the new side.</param>
/// <param name="Direction">+1 for <c>in</c>, -1 for <c>out</c> (the line counter's convention).</param>
/// <param name="TrackId">The device's track id, or the ground truth's identity.</param>
public readonly record struct Crossing(long Frame, string LineId, int Direction, int TrackId)
{
    /// <summary><c>in</c> or <c>out</c>.</summary>
    public string Dir => Direction > 0 ? "in" : "out";
}

/// <summary>What the ground truth says a perfect counter would have counted on a camera's lines and zones.</summary>
/// <param name="Crossings">Every reference crossing, by frame.</param>
/// <param name="ZoneOccupancy">Per zone (config order), per frame (index 0 = frame 1): annotated feet inside the zone.</param>
public sealed record Reference(IReadOnlyList<Crossing> Crossings, IReadOnlyList<int[]> ZoneOccupancy);

/// <summary>
/// Reference counts from ground truth, with the same rules as the device's line and zone counters: feet at the
/// bottom-centre of each box, normalized by the frame size; a crossing between consecutive annotated frames of an
/// identity whose feet change sides (the sign of <see cref="Planar.Cross"/>, <c>in</c> from positive to negative)
/// along a step that passes through the segment (walking around a line's end is no crossing); occupancy as
/// <see cref="Planar.Contains"/> of the zone's polygon. No hysteresis: annotations do not jitter.
/// </summary>
public static class ReferenceCounter
{
    /// <summary>Counts <paramref name="truth"/> on <paramref name="camera"/>'s lines and zones over frames 1..<paramref name="frames"/>.</summary>
    public static Reference Count(GroundTruth truth, CameraOptions camera, int width, int height, long frames)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(camera);
        double w = Math.Max(1, width), h = Math.Max(1, height);
        var lines = camera.Lines.Select(l => (l.Id, From: Point2.Of(l.From), To: Point2.Of(l.To))).ToArray();
        var zones = camera.Zones.Select(z => z.Polygon.Select(Point2.Of).ToArray()).ToArray();
        var occupancy = zones.Select(_ => new int[Math.Max(0, frames)]).ToArray();
        var crossings = new List<Crossing>();
        foreach (var path in truth.Boxes.Where(b => b.Frame <= frames).GroupBy(b => b.Id))
        {
            // Per line, the last point seen off the line and its side (a point exactly on it decides nothing).
            var last = new (int Side, Point2 Point)[lines.Length];
            foreach (var box in path.OrderBy(b => b.Frame))
            {
                var feet = new Point2(box.Box.Feet.X / w, box.Box.Feet.Y / h);
                for (int l = 0; l < lines.Length; l++)
                {
                    double cross = Planar.Cross(lines[l].From, lines[l].To, feet);
                    int side = cross > 0 ? 1 : cross < 0 ? -1 : 0;
                    if (side == 0) continue;
                    if (last[l].Side != 0 && side != last[l].Side && Planar.SegmentsIntersect(last[l].Point, feet, lines[l].From, lines[l].To))
                        crossings.Add(new Crossing(box.Frame, lines[l].Id, last[l].Side, box.Id));
                    last[l] = (side, feet);
                }
                for (int z = 0; z < zones.Length; z++)
                    if (Planar.Contains(zones[z], feet)) occupancy[z][box.Frame - 1]++;
            }
        }
        crossings.Sort((a, b) => a.Frame != b.Frame ? a.Frame.CompareTo(b.Frame) : a.TrackId.CompareTo(b.TrackId));
        return new Reference(crossings, occupancy);
    }
}

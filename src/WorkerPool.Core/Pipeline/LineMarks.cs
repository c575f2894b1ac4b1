using OpenCvSharp;
using WorkerPool.Config;

namespace WorkerPool.Pipeline;

/// <summary>
/// Where a line's marks go on a frame, in pixels: the segment, an arrow across it pointing the way that counts
/// <c>in</c>, the centres of the "IN" and "OUT" labels, and the centre of the caption (id and totals) on the line
/// just past them. "IN" sits on the side an <c>in</c> crossing starts from
/// (where <c>(to-from) × (p-from) &gt; 0</c>, the right of someone standing on <c>from</c> facing <c>to</c>),
/// "OUT" on the other.
/// </summary>
internal readonly record struct LineMarks(Point From, Point To, Point ArrowTail, Point ArrowHead, Point InLabel, Point OutLabel, Point Caption)
{
    // Where along the segment the arrow sits, by the line's index: lines that cross (the demo's do, at their
    // midpoints) would otherwise stack their arrows and labels on one spot.
    private static readonly double[] Along = [0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6];

    /// <summary>
    /// The marks of the camera's <paramref name="index"/>th line on a <paramref name="width"/> × <paramref name="height"/>
    /// frame, for a caption of <paramref name="caption"/> pixels.
    /// </summary>
    public static LineMarks Place(LineOptions line, int index, int width, int height, double scale, Size caption)
    {
        double ax = line.From[0] * width, ay = line.From[1] * height, bx = line.To[0] * width, by = line.To[1] * height;
        double dx = bx - ax, dy = by - ay, length = Math.Max(1e-9, Math.Sqrt(dx * dx + dy * dy));
        // (-dy, dx) is the positive side in pixels as in normalized units: scaling x and y by positive factors keeps
        // the cross product's sign.
        double nx = -dy / length, ny = dx / length;
        double t = Along[index % Along.Length], mx = ax + t * dx, my = ay + t * dy;
        double arrow = 20 * scale, label = arrow + 18 * scale;
        Point At(double distance) => new((int)Math.Round(mx + nx * distance), (int)Math.Round(my + ny * distance));
        // The caption sits on the line beyond the labels, towards `to` when there is room, else towards `from`: with
        // every line's caption at its own arrow, captions of lines that start close together do not overlap.
        double along = label + (Math.Abs(dx) * caption.Width + Math.Abs(dy) * caption.Height) / (2 * length) + 4 * scale;
        if (t * length + along > length) along = -along;
        var captionAt = new Point((int)Math.Round(mx + dx / length * along), (int)Math.Round(my + dy / length * along));
        return new LineMarks(new Point((int)Math.Round(ax), (int)Math.Round(ay)), new Point((int)Math.Round(bx), (int)Math.Round(by)),
            At(arrow), At(-arrow), At(label), At(-label), captionAt);
    }
}

using OpenCvSharp;
using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Geometry;

namespace WorkerPool.Pipeline;

/// <summary>
/// Draws a camera's lines, zones, track boxes and ids on a frame, so an operator can check placement by eye: each
/// line is an arrow from <c>from</c> to <c>to</c>, crossed by a white arrow pointing the way that counts <c>in</c>,
/// from an "IN" label (where an <c>in</c> crossing starts) to an "OUT" label, with its id and totals beside them.
/// </summary>
public static class FrameAnnotator
{
    internal static readonly Scalar LineColor = new(0, 0, 255), ZoneColor = new(255, 160, 0), BoxColor = new(0, 220, 0),
        InColor = new(0, 255, 255), OutColor = new(255, 0, 255), ArrowColor = new(255, 255, 255);

    private static readonly Scalar Outline = new(0, 0, 0);

    /// <summary>Draws onto <paramref name="image"/> in place: the camera's geometry, each line with its totals and sides, and the tracks.</summary>
    public static void Draw(Mat image, CameraOptions camera, CountTotals totals, IEnumerable<(int Id, BoxF Box)> tracks)
    {
        int w = image.Width, h = image.Height;
        // Marks grow with the frame so that they stay readable on a 1080p snapshot and fit on a small one.
        double scale = Math.Max(1, Math.Min(w, h) / 480.0);
        int thick = (int)Math.Round(2 * scale);
        Point ToPixel(double[] p) => new((int)Math.Round(p[0] * w), (int)Math.Round(p[1] * h));
        foreach (var zone in camera.Zones.Where(z => z.Polygon.Count > 0))
        {
            var points = zone.Polygon.Select(ToPixel).ToArray();
            Cv2.Polylines(image, [points], isClosed: true, ZoneColor, thick);
            Cv2.PutText(image, zone.Id, points[0] + new Point(4, 16 * scale), HersheyFonts.HersheySimplex, 0.5 * scale, ZoneColor, (int)scale);
        }
        for (int i = 0; i < camera.Lines.Count; i++)
        {
            var line = camera.Lines[i];
            var total = totals.Lines.FirstOrDefault(t => t.Id == line.Id);
            string caption = $"{line.Id} in {total?.In ?? 0} out {total?.Out ?? 0}";
            var marks = LineMarks.Place(line, i, w, h, scale, TextSize(caption, scale));
            Cv2.ArrowedLine(image, marks.From, marks.To, LineColor, thick, tipLength: 0.03);
            Cv2.ArrowedLine(image, marks.ArrowTail, marks.ArrowHead, Outline, thick + 2, tipLength: 0.35);
            Cv2.ArrowedLine(image, marks.ArrowTail, marks.ArrowHead, ArrowColor, thick, tipLength: 0.35);
            Label(image, "IN", marks.InLabel, InColor, scale);
            Label(image, "OUT", marks.OutLabel, OutColor, scale);
            Label(image, caption, marks.Caption, LineColor, scale);
        }
        foreach (var (id, box) in tracks)
        {
            var rect = new Rect((int)box.X1, (int)box.Y1, (int)box.Width, (int)box.Height);
            Cv2.Rectangle(image, rect, BoxColor, thick);
            Cv2.PutText(image, id.ToString(System.Globalization.CultureInfo.InvariantCulture), new Point(rect.X, Math.Max(12, rect.Y - 4)),
                HersheyFonts.HersheySimplex, 0.5 * scale, BoxColor, (int)scale);
            var feet = box.Feet;
            Cv2.Circle(image, new Point((int)feet.X, (int)feet.Y), (int)Math.Round(3 * scale), BoxColor, -1);
        }
    }

    /// <summary>Text centred on <paramref name="centre"/>, over a dark outline so it reads on any background.</summary>
    private static void Label(Mat image, string text, Point centre, Scalar color, double scale)
    {
        int thickness = Thickness(scale);
        var size = TextSize(text, scale);
        var origin = new Point(centre.X - size.Width / 2, centre.Y + size.Height / 2);
        Cv2.PutText(image, text, origin, HersheyFonts.HersheySimplex, 0.5 * scale, Outline, thickness + 2);
        Cv2.PutText(image, text, origin, HersheyFonts.HersheySimplex, 0.5 * scale, color, thickness);
    }

    private static Size TextSize(string text, double scale) => Cv2.GetTextSize(text, HersheyFonts.HersheySimplex, 0.5 * scale, Thickness(scale), out _);

    private static int Thickness(double scale) => Math.Max(1, (int)Math.Round(scale));
}

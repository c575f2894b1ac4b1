using OpenCvSharp;
using WorkerPool.Counting;
using WorkerPool.Geometry;

namespace WorkerPool.Diagnostics;

/// <summary>Draws a camera's lines, zones, track boxes and ids on a frame, so an operator can check placement by eye.</summary>
public static class FrameAnnotator
{
    private static readonly Scalar LineColor = new(0, 0, 255), ZoneColor = new(255, 160, 0), BoxColor = new(0, 220, 0);

    /// <summary>Draws onto <paramref name="image"/> in place.</summary>
    public static void Draw(Mat image, CameraCounter counter, IEnumerable<(int Id, BoxF Box)> tracks)
    {
        int w = image.Width, h = image.Height;
        Point ToPixel(Point2 p) => new((int)Math.Round(p.X * w), (int)Math.Round(p.Y * h));
        foreach (var zone in counter.Zones)
        {
            var points = zone.Polygon.ToArray().Select(ToPixel).ToArray();
            Cv2.Polylines(image, [points], isClosed: true, ZoneColor, 2);
            Cv2.PutText(image, zone.Id, points[0] + new Point(4, 16), HersheyFonts.HersheySimplex, 0.5, ZoneColor, 1);
        }
        foreach (var line in counter.Lines)
        {
            Point a = ToPixel(line.From), b = ToPixel(line.To);
            Cv2.ArrowedLine(image, a, b, LineColor, 2, tipLength: 0.03);
            Cv2.PutText(image, $"{line.Id} in {line.In} out {line.Out}", a + new Point(6, 18), HersheyFonts.HersheySimplex, 0.5, LineColor, 1);
        }
        foreach (var (id, box) in tracks)
        {
            var rect = new Rect((int)box.X1, (int)box.Y1, (int)box.Width, (int)box.Height);
            Cv2.Rectangle(image, rect, BoxColor, 2);
            Cv2.PutText(image, id.ToString(System.Globalization.CultureInfo.InvariantCulture), new Point(rect.X, Math.Max(12, rect.Y - 4)), HersheyFonts.HersheySimplex, 0.5, BoxColor, 1);
            var feet = box.Feet;
            Cv2.Circle(image, new Point((int)feet.X, (int)feet.Y), 3, BoxColor, -1);
        }
    }
}

using OpenCvSharp;
using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Geometry;

namespace WorkerPool.Pipeline;

/// <summary>Draws a camera's lines, zones, track boxes and ids on a frame, so an operator can check placement by eye.</summary>
public static class FrameAnnotator
{
    private static readonly Scalar LineColor = new(0, 0, 255), ZoneColor = new(255, 160, 0), BoxColor = new(0, 220, 0);

    /// <summary>Draws onto <paramref name="image"/> in place: the camera's geometry, each line with its totals, and the tracks.</summary>
    public static void Draw(Mat image, CameraOptions camera, CountTotals totals, IEnumerable<(int Id, BoxF Box)> tracks)
    {
        int w = image.Width, h = image.Height;
        Point ToPixel(double[] p) => new((int)Math.Round(p[0] * w), (int)Math.Round(p[1] * h));
        foreach (var zone in camera.Zones.Where(z => z.Polygon.Count > 0))
        {
            var points = zone.Polygon.Select(ToPixel).ToArray();
            Cv2.Polylines(image, [points], isClosed: true, ZoneColor, 2);
            Cv2.PutText(image, zone.Id, points[0] + new Point(4, 16), HersheyFonts.HersheySimplex, 0.5, ZoneColor, 1);
        }
        foreach (var line in camera.Lines)
        {
            Point a = ToPixel(line.From), b = ToPixel(line.To);
            var total = totals.Lines.FirstOrDefault(t => t.Id == line.Id);
            Cv2.ArrowedLine(image, a, b, LineColor, 2, tipLength: 0.03);
            Cv2.PutText(image, $"{line.Id} in {total?.In ?? 0} out {total?.Out ?? 0}", a + new Point(6, 18), HersheyFonts.HersheySimplex, 0.5, LineColor, 1);
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

using OpenCvSharp;
using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Geometry;
using WorkerPool.Pipeline;

namespace WorkerPool.Tests.Pipeline;

/// <summary>The annotated frame on real OpenCV pictures: where the IN and OUT labels and the crossing arrow land.</summary>
public class FrameAnnotatorTests
{
    private const int Width = 640, Height = 480;

    public static TheoryData<double[], double[]> Lines => new()
    {
        { [0.5, 0], [0.5, 1] },
        { [0.5, 0.9], [0.5, 0.1] },
        { [0.1, 0.45], [0.9, 0.45] },
        { [0.9, 0.6], [0.1, 0.6] },
        { [0.2, 0.2], [0.8, 0.7] },
    };

    private static CameraOptions Camera(params LineOptions[] lines) => new() { Id = "cam", Lines = [.. lines] };

    private static Mat Annotated(CameraOptions camera, params (int Id, BoxF Box)[] tracks)
    {
        var image = new Mat(Height, Width, MatType.CV_8UC3, new Scalar(64, 64, 64));
        FrameAnnotator.Draw(image, camera, CountTotals.None, tracks);
        return image;
    }

    /// <summary>Every pixel of exactly <paramref name="color"/>, in normalized coordinates.</summary>
    private static List<Point2> PixelsOf(Mat image, Scalar color)
    {
        var found = new List<Point2>();
        int height = image.Height, width = image.Width;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var p = image.At<Vec3b>(y, x);
                if (p.Item0 == color.Val0 && p.Item1 == color.Val1 && p.Item2 == color.Val2) found.Add(new Point2((x + 0.5) / Width, (y + 0.5) / Height));
            }
        return found;
    }

    private static Point2 Centroid(List<Point2> points) => new(points.Average(p => p.X), points.Average(p => p.Y));

    [Theory]
    [MemberData(nameof(Lines))]
    public void InLabel_LiesOnTheSideATrackMustStartFromToCountIn(double[] from, double[] to)
    {
        var line = new LineOptions { Id = "door", From = from, To = to };
        using var image = Annotated(Camera(line));
        var inLabel = PixelsOf(image, FrameAnnotator.InColor);
        var outLabel = PixelsOf(image, FrameAnnotator.OutColor);
        Assert.NotEmpty(inLabel);
        Assert.NotEmpty(outLabel);

        // A track walking from the IN label to the OUT label is counted in by the real counter, and back is out.
        var counter = new LineCounter(line, 0.0125);
        counter.Observe(1, Centroid(inLabel));
        counter.Observe(1, Centroid(outLabel));
        counter.Observe(2, Centroid(outLabel));
        counter.Observe(2, Centroid(inLabel));
        Assert.Equal((1L, 1L), (counter.In, counter.Out));
        // And no pixel of either label strays onto the other side.
        Point2 a = Point2.Of(from), b = Point2.Of(to);
        Assert.All(inLabel, p => Assert.True(Planar.Cross(a, b, p) > 0));
        Assert.All(outLabel, p => Assert.True(Planar.Cross(a, b, p) < 0));
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void CrossingArrow_IsDrawnAcrossTheLineWithItsHeadOnTheOutSide(double[] from, double[] to)
    {
        using var image = Annotated(Camera(new LineOptions { Id = "door", From = from, To = to }));
        var arrow = PixelsOf(image, FrameAnnotator.ArrowColor);
        Point2 a = Point2.Of(from), b = Point2.Of(to);
        int inSide = arrow.Count(p => Planar.Cross(a, b, p) > 0), outSide = arrow.Count(p => Planar.Cross(a, b, p) < 0);
        Assert.True(inSide > 20, $"arrow pixels on the in side: {inSide}");
        // The shaft is even on both sides; the head's barbs add to the side it points to.
        Assert.True(outSide > inSide + 10, $"arrow pixels: {inSide} on the in side, {outSide} on the out side");
    }

    [Fact]
    public void LinesZonesAndBoxes_AreDrawnWhereTheConfigAndTracksPutThem()
    {
        var camera = Camera(new LineOptions { Id = "door", From = [0.25, 0.1], To = [0.25, 0.9] });
        camera.Zones.Add(new ZoneOptions { Id = "queue", Polygon = [[0.6, 0.2], [0.9, 0.2], [0.9, 0.8], [0.6, 0.8]] });
        using var image = Annotated(camera, (7, new BoxF(400, 150, 460, 300)));
        bool Is((int Row, int Col) at, Scalar c)
        {
            var p = image.At<Vec3b>(at.Row, at.Col);
            return p.Item0 == c.Val0 && p.Item1 == c.Val1 && p.Item2 == c.Val2;
        }

        Assert.True(Is(((int)(0.8 * Height), (int)(0.25 * Width)), FrameAnnotator.LineColor), "the line's segment");
        Assert.True(Is(((int)(0.5 * Height), (int)(0.9 * Width)), FrameAnnotator.ZoneColor), "the zone's right edge");
        Assert.True(Is((225, 400), FrameAnnotator.BoxColor), "the box's left edge");
        Assert.True(Is((302, 430), FrameAnnotator.BoxColor), "the feet point, below the box edge");
        Assert.True(Is((240, 430), new Scalar(64, 64, 64)), "inside the box stays the picture");
    }

    [Fact]
    public void DemoLines_ThatCrossEachOther_GetTheirArrowsAtDifferentPlaces()
    {
        LineOptions[] demo =
        [
            new() { Id = "mid", From = [0.5, 0], To = [0.5, 1] },
            new() { Id = "walkway", From = [0, 0.45], To = [1, 0.45] },
            new() { Id = "left", From = [0.4, 0], To = [0.4, 1] },
        ];
        var labels = demo.Select((l, i) => LineMarks.Place(l, i, 768, 576, 1.2, new Size(170, 14)))
            .SelectMany(m => new[] { m.InLabel, m.OutLabel, m.Caption }).ToArray();
        for (int i = 0; i < labels.Length; i++)
            for (int j = i + 1; j < labels.Length; j++)
                Assert.True(labels[i].DistanceTo(labels[j]) > 30, $"labels {labels[i]} and {labels[j]} overlap");
    }
}

using OpenCvSharp;
using WorkerPool.Config;
using WorkerPool.Inference;

namespace WorkerPool.Tests.Inference;

public class LetterboxTests
{
    [Fact]
    public void Apply_YoloxLayout_PutsBgrPlanesTopLeftAndPadsWith114()
    {
        using var frame = new Mat(576, 768, MatType.CV_8UC3, new Scalar(10, 20, 30)); // B, G, R
        using var lb = new Letterbox(new ModelManifest { InputWidth = 416, InputHeight = 416 });
        var tensor = new float[lb.TensorLength];

        var info = lb.Apply(frame, tensor);

        Assert.Equal(416f / 768f, info.Scale, 5);
        Assert.Equal((0f, 0f), (info.PadX, info.PadY));
        int plane = 416 * 416;
        Assert.Equal((10f, 20f, 30f), (tensor[0], tensor[plane], tensor[2 * plane]));
        // 576 * 416/768 = 312 rows of image, then padding.
        Assert.Equal(10f, tensor[311 * 416]);
        Assert.Equal(114f, tensor[313 * 416]);
        Assert.Equal(114f, tensor[2 * plane + 415 * 416 + 415]);
    }

    [Fact]
    public void Apply_UltralyticsLayout_CentresRgbScaledToUnit()
    {
        using var frame = new Mat(576, 768, MatType.CV_8UC3, new Scalar(0, 0, 255));
        using var lb = new Letterbox(new ModelManifest { InputWidth = 640, InputHeight = 640, ChannelOrder = "rgb", Normalize = true, Letterbox = "center" });
        var tensor = new float[lb.TensorLength];

        var info = lb.Apply(frame, tensor);

        Assert.Equal((0f, 80f), (info.PadX, info.PadY));
        Assert.Equal(114f / 255f, tensor[0], 5);                  // top padding row
        Assert.Equal(1f, tensor[100 * 640 + 320], 5);             // red plane first
        Assert.Equal(0f, tensor[2 * 640 * 640 + 100 * 640 + 320]); // blue plane last
    }

    [Fact]
    public void Apply_EmptyOrGreyFrame_IsRejectedClearly()
    {
        using var lb = new Letterbox(new ModelManifest());
        var tensor = new float[lb.TensorLength];
        using var empty = new Mat();
        using var grey = new Mat(10, 10, MatType.CV_8UC1);
        Assert.Throws<ArgumentException>(() => lb.Apply(empty, tensor));
        Assert.Throws<ArgumentException>(() => lb.Apply(grey, tensor));
    }
}

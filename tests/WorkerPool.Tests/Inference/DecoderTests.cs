using WorkerPool.Inference;

namespace WorkerPool.Tests.Inference;

public class DecoderTests
{
    // A 768x576 frame letterboxed top-left into 416x416: scale 416/768, no padding offset.
    private static readonly LetterboxInfo TopLeft = new(416f / 768f, 0, 0, 768, 576);

    [Fact]
    public void Yolox_RowAtGridCell_DecodesToFramePixels()
    {
        const int classes = 80, row = 85;
        var output = new float[YoloxDecoder.RowCount(416, 416) * row];
        // Stride-16 cell (gx=10, gy=5) is row 52*52 + 5*26 + 10.
        int r = 52 * 52 + 5 * 26 + 10;
        var cell = output.AsSpan(r * row, row);
        cell[0] = 0.5f; cell[1] = 0.25f;                 // cx = 10.5*16 = 168, cy = 5.25*16 = 84
        cell[2] = MathF.Log(2); cell[3] = MathF.Log(4);  // w = 32, h = 64
        cell[4] = 0.9f; cell[5] = 0.8f;                  // objectness x person = 0.72

        var found = new List<Detection>();
        new YoloxDecoder(416, 416, classes, 0).Decode(output, TopLeft, 0.3f, found);

        var d = Assert.Single(found);
        Assert.Equal(0.72f, d.Score, 4);
        float s = 768f / 416f;
        Assert.Equal(152 * s, d.Box.X1, 2);
        Assert.Equal(52 * s, d.Box.Y1, 2);
        Assert.Equal(184 * s, d.Box.X2, 2);
        Assert.Equal(116 * s, d.Box.Y2, 2);
    }

    [Fact]
    public void Yolox_OtherClassOrLowScore_IsIgnored()
    {
        var output = new float[YoloxDecoder.RowCount(416, 416) * 85];
        output[4] = 1f; output[6] = 0.99f;          // row 0: a confident class-1 object, not a person
        output[85 + 4] = 0.5f; output[85 + 5] = 0.1f; // row 1: person scoring 0.05
        var found = new List<Detection>();
        new YoloxDecoder(416, 416, 80, 0).Decode(output, TopLeft, 0.1f, found);
        Assert.Empty(found);
    }

    [Fact]
    public void Yolov8_ColumnLayout_DecodesPersonAndUndoesCenteredPadding()
    {
        const int anchors = 8400, classes = 80;
        var output = new float[(4 + classes) * anchors];
        int a = 1234;
        output[a] = 320; output[anchors + a] = 300;            // cx, cy in 640-canvas pixels
        output[2 * anchors + a] = 40; output[3 * anchors + a] = 100;
        output[4 * anchors + a] = 0.9f;                        // person score
        output[5 * anchors + 99] = 0.95f;                      // a bicycle elsewhere
        // 768x576 into 640x640 centred: scale 640/768, resized 640x480, pad y = 80.
        var lb = new LetterboxInfo(640f / 768f, 0, 80, 768, 576);

        var found = new List<Detection>();
        new Yolov8Decoder(classes, 0).Decode(output, lb, 0.25f, found);

        var d = Assert.Single(found);
        Assert.Equal(0.9f, d.Score);
        Assert.Equal(300 * 1.2f, d.Box.X1, 2);
        Assert.Equal((250 - 80) * 1.2f, d.Box.Y1, 2);
        Assert.Equal(340 * 1.2f, d.Box.X2, 2);
        Assert.Equal((350 - 80) * 1.2f, d.Box.Y2, 2);
    }

    [Fact]
    public void Nms_OverlappingBoxes_KeepsBestOfEachGroup()
    {
        var list = new List<Detection>
        {
            new(new(0, 0, 10, 10), 0.6f),
            new(new(1, 0, 11, 10), 0.9f),
            new(new(50, 50, 60, 60), 0.5f),
        };
        Nms.Apply(list, 0.45f);
        Assert.Equal([0.9f, 0.5f], list.Select(d => d.Score));
    }

    [Fact]
    public void LetterboxInfo_ToFrame_ClipsToTheFrame()
    {
        var box = TopLeft.ToFrame(-10, -10, 500, 500);
        Assert.Equal((0f, 0f, 768f, 576f), (box.X1, box.Y1, box.X2, box.Y2));
    }
}

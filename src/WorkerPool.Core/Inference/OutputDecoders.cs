namespace WorkerPool.Inference;

/// <summary>Turns a raw model output tensor into person detections (before NMS).</summary>
public interface IOutputDecoder
{
    /// <summary>Appends every person candidate scoring at least <paramref name="minScore"/> to <paramref name="into"/>.</summary>
    void Decode(ReadOnlySpan<float> output, in LetterboxInfo letterbox, float minScore, List<Detection> into);
}

/// <summary>
/// Raw YOLOX head (1 x N x (5 + classes)): rows are grid cells of strides 8, 16, 32 in that order;
/// cx = (o0 + gx) * s, cy = (o1 + gy) * s, w = exp(o2) * s, h = exp(o3) * s; score = objectness * class score.
/// </summary>
public sealed class YoloxDecoder : IOutputDecoder
{
    private static readonly int[] Strides = [8, 16, 32];
    private readonly int _inputWidth, _inputHeight, _rowLength, _personClass;

    /// <summary>Creates a decoder for a network input size and class count.</summary>
    public YoloxDecoder(int inputWidth, int inputHeight, int numClasses, int personClass)
    {
        _inputWidth = inputWidth;
        _inputHeight = inputHeight;
        _rowLength = 5 + numClasses;
        _personClass = personClass;
    }

    /// <summary>Number of rows the head produces for an input size.</summary>
    public static int RowCount(int inputWidth, int inputHeight) =>
        Strides.Sum(s => (inputWidth / s) * (inputHeight / s));

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<float> output, in LetterboxInfo letterbox, float minScore, List<Detection> into)
    {
        int row = 0;
        foreach (int stride in Strides)
        {
            int gw = _inputWidth / stride, gh = _inputHeight / stride;
            for (int gy = 0; gy < gh; gy++)
            {
                for (int gx = 0; gx < gw; gx++, row++)
                {
                    var r = output.Slice(row * _rowLength, _rowLength);
                    float score = r[4] * r[5 + _personClass];
                    if (score < minScore) continue;
                    float cx = (r[0] + gx) * stride, cy = (r[1] + gy) * stride;
                    float w = MathF.Exp(r[2]) * stride, h = MathF.Exp(r[3]) * stride;
                    into.Add(new Detection(letterbox.ToFrame(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), score));
                }
            }
        }
    }
}

/// <summary>Ultralytics YOLOv8 output (1 x (4 + classes) x N, column-major per anchor): cx, cy, w, h, class scores; no objectness.</summary>
public sealed class Yolov8Decoder : IOutputDecoder
{
    private readonly int _numClasses, _personClass;

    /// <summary>Creates a decoder for a class count.</summary>
    public Yolov8Decoder(int numClasses, int personClass)
    {
        _numClasses = numClasses;
        _personClass = personClass;
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<float> output, in LetterboxInfo letterbox, float minScore, List<Detection> into)
    {
        int anchors = output.Length / (4 + _numClasses);
        var scores = output.Slice((4 + _personClass) * anchors, anchors);
        for (int i = 0; i < anchors; i++)
        {
            float score = scores[i];
            if (score < minScore) continue;
            float cx = output[i], cy = output[anchors + i], w = output[2 * anchors + i], h = output[3 * anchors + i];
            into.Add(new Detection(letterbox.ToFrame(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), score));
        }
    }
}

/// <summary>Greedy non-maximum suppression, in place.</summary>
public static class Nms
{
    private static readonly Comparison<Detection> ByScoreDescending = (a, b) => b.Score.CompareTo(a.Score);

    /// <summary>Keeps the best-scoring box of each overlapping group (IoU above <paramref name="iouThreshold"/>).</summary>
    public static void Apply(List<Detection> detections, float iouThreshold)
    {
        detections.Sort(ByScoreDescending);
        int kept = 0;
        for (int i = 0; i < detections.Count; i++)
        {
            var candidate = detections[i];
            bool suppressed = false;
            for (int k = 0; k < kept; k++)
            {
                if (Geometry.BoxF.IoU(detections[k].Box, candidate.Box) > iouThreshold) { suppressed = true; break; }
            }
            if (!suppressed) detections[kept++] = candidate;
        }
        detections.RemoveRange(kept, detections.Count - kept);
    }
}

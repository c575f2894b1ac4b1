using System.Collections.Concurrent;

namespace WorkerPool.Inference;

/// <summary>What inference made of a frame a worker took.</summary>
public enum FrameOutcome
{
    /// <summary>Inference ran; <see cref="InferenceResult.Detections"/> holds its people.</summary>
    Processed,
    /// <summary>Inference threw or timed out.</summary>
    Failed,
}

/// <summary>
/// The pool's answer for one frame a worker took; exactly one per such frame (the queue answers those it drops), so
/// the tracker never waits for a frame that will not come. It copies the frame's stamps and holds no image.
/// Pooled: the consumer calls <see cref="Return"/>.
/// </summary>
public sealed class InferenceResult
{
    private static readonly ConcurrentBag<InferenceResult> Pool = [];

    /// <summary>Camera id.</summary>
    public string CameraId { get; private set; } = "";

    /// <summary>Gate admission number (dense per camera).</summary>
    public long Admit { get; private set; }

    /// <summary>Camera frame number.</summary>
    public long Sequence { get; private set; }

    /// <summary>Wall-clock capture time.</summary>
    public DateTimeOffset CaptureTime { get; private set; }

    /// <summary>Media time in seconds.</summary>
    public double MediaSeconds { get; private set; }

    /// <summary>Frame width in pixels.</summary>
    public int FrameWidth { get; internal set; }

    /// <summary>Frame height in pixels.</summary>
    public int FrameHeight { get; internal set; }

    /// <summary>Outcome.</summary>
    public FrameOutcome Outcome { get; internal set; }

    /// <summary>People found (empty unless processed).</summary>
    public List<Detection> Detections { get; } = new(64);

    /// <summary>Takes a result from the pool, stamped from a frame.</summary>
    public static InferenceResult Rent(Capture.Frame frame, FrameOutcome outcome)
    {
        if (!Pool.TryTake(out var r)) r = new InferenceResult();
        r.CameraId = frame.CameraId;
        r.Admit = frame.Admit;
        r.Sequence = frame.Sequence;
        r.CaptureTime = frame.CaptureTime;
        r.MediaSeconds = frame.MediaSeconds;
        r.FrameWidth = frame.Image.Width;
        r.FrameHeight = frame.Image.Height;
        r.Outcome = outcome;
        r.Detections.Clear();
        return r;
    }

    /// <summary>Hands the result back for reuse.</summary>
    public void Return()
    {
        Detections.Clear();
        Pool.Add(this);
    }
}

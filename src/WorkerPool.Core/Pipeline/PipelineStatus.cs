using WorkerPool.Capture;
using WorkerPool.Counting;
using WorkerPool.Inference;

namespace WorkerPool.Pipeline;

/// <summary>One camera as the control side sees it: capture state, the sampling rate into inference, and its totals.</summary>
/// <param name="TargetFps">Sampling rate into inference now (0 = every frame), after any thermal throttling.</param>
public sealed record CameraView(CameraStatus Capture, double TargetFps, CountTotals Counts)
{
    /// <summary>The camera's id.</summary>
    public string Id => Capture.Id;
}

/// <summary>The running pipeline at one moment, as immutable data: what health, heartbeat and commands read.</summary>
/// <param name="Running">False before start, after stop, or while no pipeline could be built.</param>
/// <param name="Reconfiguring">True while a config is being applied: a pool being replaced legitimately finishes nothing for a while.</param>
public sealed record PipelineStatus(bool Running, bool Reconfiguring, IReadOnlyList<CameraView> Cameras, IReadOnlyList<WorkerStatus> Workers, int QueueDepth)
{
    /// <summary>No pipeline.</summary>
    public static readonly PipelineStatus None = new(false, false, [], [], 0);

    /// <summary>Inferences the workers finished (processed or failed) since start.</summary>
    public long InferencesDone => Workers.Sum(w => w.Metrics.Processed + w.Metrics.Failed);
}

/// <summary>A camera's annotated frame as a JPEG.</summary>
public sealed record SnapshotImage(byte[] Jpeg, int Width, int Height);

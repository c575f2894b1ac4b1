using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Control;

/// <summary>The heartbeat's <c>cameras</c>, <c>workers</c> and <c>poolQueueDepth</c>, from one status record of the control surface.</summary>
public sealed class PipelineHeartbeatSection(IDeviceControl control) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        // One record for all three parts: they describe the same moment.
        var status = control.Status();
        draft.Cameras = status.Cameras.Select(c => new CameraPayload(c.Id, c.Capture.State.ToString().ToLowerInvariant(), c.Capture.LastError,
            c.Capture.MeasuredFps, c.TargetFps, c.Capture.FramesRead, c.Capture.FramesAdmitted, c.Capture.FramesSkipped, c.Capture.FramesLost)
        {
            // A frame captured between the heartbeat's time and this read would be "later" than the heartbeat itself:
            // the heartbeat speaks for its own moment (CI saw lastDetectionAt past time by microseconds).
            FramesProcessed = c.Capture.FramesProcessed,
            LastDetectionAt = c.Capture.LastDetectionAt is { } seen && seen > draft.Time ? draft.Time : c.Capture.LastDetectionAt,
            FrozenSeconds = c.Capture.FrozenSeconds, PictureUniform = c.Capture.PictureUniform,
        }).ToArray();
        draft.Workers = status.Workers.Select(w => new WorkerPayload(w.Index, w.RequestedDevice, w.ActiveDevice, w.FallbackReason, w.Cores, w.State,
            Math.Round(w.Metrics.BusyFraction, 3), w.Metrics.Processed, w.Metrics.Failed, w.Metrics.Replacements,
            Math.Round(w.Metrics.LatencyP50Ms, 2), Math.Round(w.Metrics.LatencyP99Ms, 2))).ToArray();
        draft.PoolQueueDepth = status.QueueDepth;
    }
}

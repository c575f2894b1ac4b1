using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Control;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;
using WorkerPool.Inference;
using WorkerPool.Pipeline;

namespace WorkerPool.Tests.Control;

public sealed class PipelineHeartbeatSectionTests
{
    [Fact]
    public void WriteTo_ReportsEachCameraAndWorker_StatesInLowerCaseAndFiguresRounded()
    {
        var control = new FakeDeviceControl(new DeviceConfig())
        {
            Current = new PipelineStatus(true, false,
                [new CameraView(new CameraStatus("door", CameraState.Reconnecting, "refused", 10, 5, 4, 1, 0, 0, 0), 2.5, new CountTotals(5, 1, [], []))],
                [new WorkerStatus(3, "cuda:0", "cpu", "no CUDA", "4-5", null, "running", new WorkerSnapshot(7, 1, 2, 0.98765, 3.14159, 9.87654))],
                QueueDepth: 6),
        };
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new PipelineHeartbeatSection(control).WriteTo(draft);

        var camera = Assert.Single(draft.Cameras!);
        Assert.Equal(("door", "reconnecting", "refused", 2.5, 10L, 5L, 4L, 1L),
            (camera.Id, camera.State, camera.LastError, camera.TargetFps, camera.FramesRead, camera.FramesAdmitted, camera.FramesSkipped, camera.FramesLost));
        var worker = Assert.Single(draft.Workers!);
        Assert.Equal((3, "cuda:0", "cpu", "no CUDA", "4-5", "running"), (worker.Index, worker.Device, worker.ActiveDevice, worker.FallbackReason, worker.Cores, worker.State));
        Assert.Equal((0.988, 3.14, 9.88, 7L, 1L, 2L), (worker.BusyFraction, worker.LatencyP50Ms, worker.LatencyP99Ms, worker.Processed, worker.Failed, worker.Replacements));
        Assert.Equal(6, draft.PoolQueueDepth);
    }

    [Fact]
    public void WriteTo_ReportsWhatTellsADeadOrCoveredCameraFromAnEmptyRoom()
    {
        var seen = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
        var control = new FakeDeviceControl(new DeviceConfig())
        {
            Current = new PipelineStatus(true, false,
                [new CameraView(new CameraStatus("door", CameraState.Connected, null, 10, 5, 4, 1, 5, 640, 480)
                {
                    FramesProcessed = 4, LastDetectionAt = seen, FrozenSeconds = 12.5, PictureUniform = true,
                }, 5, new CountTotals(5, 1, [], []))], [], 0),
        };
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new PipelineHeartbeatSection(control).WriteTo(draft);

        var camera = Assert.Single(draft.Cameras!);
        Assert.Equal((4L, (DateTimeOffset?)seen, (double?)12.5, (bool?)true), (camera.FramesProcessed, camera.LastDetectionAt, camera.FrozenSeconds, camera.PictureUniform));
    }

    [Fact]
    public void WriteTo_NoPipelineYet_ReportsNoCamerasNoWorkersAndAnEmptyQueue()
    {
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new PipelineHeartbeatSection(new FakeDeviceControl(new DeviceConfig())).WriteTo(draft);

        Assert.Equal((0, 0, 0), (draft.Cameras!.Count, draft.Workers!.Count, draft.PoolQueueDepth));
    }
}

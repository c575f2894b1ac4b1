using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Control;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;
using WorkerPool.Pipeline;

namespace WorkerPool.Tests.Control;

public sealed class PipelineHeartbeatSectionTests
{
    private static readonly DateTimeOffset Taken = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset? LastDetectionIn(DateTimeOffset detectedAt)
    {
        var control = new FakeDeviceControl(new DeviceConfig())
        {
            Current = new PipelineStatus(true, false,
            [
                new CameraView(new CameraStatus("door", CameraState.Connected, null, 10, 5, 5, 0, 5, 640, 480) { LastDetectionAt = detectedAt },
                    5, new CountTotals(5, 0, [], [])),
            ], [], 0),
        };
        var draft = new HeartbeatDraft(Taken);
        new PipelineHeartbeatSection(control).WriteTo(draft);
        return draft.Cameras![0].LastDetectionAt;
    }

    [Fact]
    public void ADetectionInAFrameCapturedAfterTheHeartbeatsTime_IsReportedAtThatTime_NeverLater()
    {
        // The camera kept delivering between the heartbeat's timestamp and the status read (CI saw it 1 ms later).
        Assert.Equal(Taken, LastDetectionIn(Taken.AddMilliseconds(1)));
        Assert.Equal(Taken.AddSeconds(-3), LastDetectionIn(Taken.AddSeconds(-3)));
    }
}

using Microsoft.Extensions.Time.Testing;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Health;

namespace WorkerPool.Tests.Health;

public sealed class HealthMonitorTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly HealthOptions _options = new() { StallSeconds = 60, CameraDownSeconds = 30 };
    private HealthMonitor Monitor() => new(() => _options, _time);

    private static PipelineSnapshot Snap(long done, long admitted, int queue, CameraState camera = CameraState.Connected, long read = 0, double fps = 5) =>
        new(true, done, admitted, queue, [new CameraSnapshot("cam", camera, read, admitted, fps)]);

    [Fact]
    public void NoPipeline_IsUnhealthy()
    {
        var report = Monitor().Evaluate(PipelineSnapshot.None);
        Assert.Equal(HealthState.Unhealthy, report.State);
        Assert.Contains("not running", report.Reason);
    }

    [Fact]
    public void PoolFinishingFrames_StaysHealthy()
    {
        var monitor = Monitor();
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(done: i * 10, admitted: i * 10 + 2, queue: 2)).State);
            _time.Advance(TimeSpan.FromSeconds(2));
        }
    }

    [Fact]
    public void PoolFinishingNothingWhileFramesWait_TurnsUnhealthyAfterStallSeconds_AndRecovers()
    {
        var monitor = Monitor();
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(100, 102, 2)).State);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(100, 104, 2)).State);
        _time.Advance(TimeSpan.FromSeconds(1));
        var stalled = monitor.Evaluate(Snap(100, 104, 2));
        Assert.Equal(HealthState.Unhealthy, stalled.State);
        Assert.Contains("finished nothing for 60 s", stalled.Reason);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(101, 105, 1)).State);
    }

    [Fact]
    public void IdlePoolWithNothingToDo_IsNotStalled()
    {
        // A camera that delivers nothing leaves the pool idle: that is not a reason to restart the service (it is
        // one to say the camera counts nothing, below).
        var monitor = Monitor();
        monitor.Evaluate(Snap(100, 100, 0));
        _time.Advance(TimeSpan.FromMinutes(10));
        var report = monitor.Evaluate(Snap(100, 100, 0));
        Assert.NotEqual(HealthState.Unhealthy, report.State);
        Assert.DoesNotContain("inference pool", report.Reason ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectedCameraReadingFramesButAdmittingNone_IsDegraded_UntilItAdmitsAgain()
    {
        var monitor = Monitor();
        long read = 0;
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(50, 50, 0, read: read += 250)).State);
        for (int i = 0; i < 14; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(50, 50, 0, read: read += 50)).State);
        }
        _time.Advance(TimeSpan.FromSeconds(2));
        var blind = monitor.Evaluate(Snap(50, 50, 0, read: read += 50));
        Assert.Equal(HealthState.Degraded, blind.State);
        Assert.Equal("camera cam connected but admitted no frame for 30+ s", blind.Reason);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(60, 60, 0, read: read += 50)).State);
    }

    [Fact]
    public void CameraSampledSlowerThanTheLimit_IsNotBlindBetweenItsFrames()
    {
        // One frame a minute is admitted once a minute: that is its schedule, not a fault.
        var monitor = Monitor();
        monitor.Evaluate(Snap(1, 1, 0, read: 10, fps: 1.0 / 60));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(1, 1, 0, read: 600, fps: 1.0 / 60)).State);
    }

    [Fact]
    public void CameraDownLongerThanTheLimit_IsDegraded_UntilItReconnects()
    {
        var monitor = Monitor();
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(1, 1, 0, CameraState.Reconnecting)).State);
        _time.Advance(TimeSpan.FromSeconds(31));
        var down = monitor.Evaluate(Snap(1, 1, 0, CameraState.Reconnecting));
        Assert.Equal(HealthState.Degraded, down.State);
        Assert.Equal("camera cam down for 30+ s", down.Reason);

        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(2, 2, 0, CameraState.Connected)).State);
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(2, 2, 0, CameraState.Ended)).State);
    }

    private static PipelineSnapshot Picture(long done, double? frozen, bool? uniform, CameraState state = CameraState.Connected) =>
        new(true, done, done, 0, [new CameraSnapshot("cam", state, done * 2, done, 5) { FrozenSeconds = frozen, PictureUniform = uniform }]);

    [Fact]
    public void PictureFrozenForCameraDownSeconds_IsAWarning_UntilItChangesAgain()
    {
        var monitor = Monitor();
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(10, frozen: 29.9, uniform: false)).State);

        var frozen = monitor.Evaluate(Picture(11, frozen: 30, uniform: false));
        Assert.Equal(HealthState.Degraded, frozen.State);
        Assert.Equal("camera cam picture frozen (unchanged) for 30+ s", frozen.Reason);

        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(12, frozen: 0, uniform: false)).State);
        // A camera that is not connected is judged as down, not by a picture from before.
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(12, frozen: 45, uniform: false, CameraState.Reconnecting)).State);
    }

    [Fact]
    public void PictureNearUniformForCameraDownSeconds_IsAWarning_AMomentOfItIsNot()
    {
        var monitor = Monitor();
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(10, frozen: 0, uniform: true)).State);
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(11, frozen: 0, uniform: false)).State); // someone stood in front of it

        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(12, frozen: 0, uniform: true)).State);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(13, frozen: 0, uniform: true)).State);
        _time.Advance(TimeSpan.FromSeconds(1));
        var covered = monitor.Evaluate(Picture(14, frozen: 0, uniform: true));
        Assert.Equal(HealthState.Degraded, covered.State);
        Assert.Equal("camera cam picture near-uniform (covered, blank or dark) for 30+ s", covered.Reason);

        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(15, frozen: 0, uniform: false)).State);
    }

    [Fact]
    public void PictureNotCheckedYet_IsNoWarning()
    {
        var monitor = Monitor();
        monitor.Evaluate(Picture(1, frozen: null, uniform: null));
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Picture(2, frozen: null, uniform: null)).State);
    }

    [Fact]
    public void ApplyingANewConfig_IsNotAStall_EvenWhenItTakesLong()
    {
        var monitor = Monitor();
        monitor.Evaluate(Snap(5, 10, 2));
        for (int i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(30)); // a TensorRT engine build for a new pool
            Assert.Equal(HealthState.Healthy, monitor.Evaluate(PipelineSnapshot.None with { Reconfiguring = true }).State);
        }
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(5, 12, 2)).State); // the clock starts again after it
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(HealthState.Unhealthy, monitor.Evaluate(Snap(5, 14, 2)).State);
    }

    [Fact]
    public void OutboxFailing_IsDegradedWithTheError_AndRecovers()
    {
        var monitor = Monitor();
        var failing = monitor.Evaluate(Snap(1, 1, 0, read: 5) with { OutboxError = "disk almost full: 4096 bytes free" });
        Assert.Equal(HealthState.Degraded, failing.State);
        Assert.Equal("outbox failing: disk almost full: 4096 bytes free", failing.Reason);
        Assert.Equal(HealthState.Healthy, monitor.Evaluate(Snap(2, 2, 0, read: 10)).State);
    }

    [Fact]
    public void OutboxStorageNotAnsweringForStallSeconds_IsUnhealthy()
    {
        var monitor = Monitor();
        Assert.Equal(HealthState.Degraded, monitor.Evaluate(Snap(1, 1, 0) with { OutboxError = "storage has not answered for 5 s", OutboxStuckSeconds = 5 }).State);
        var stuck = monitor.Evaluate(Snap(1, 1, 0) with { OutboxError = "storage has not answered for 60 s", OutboxStuckSeconds = 60 });
        Assert.Equal(HealthState.Unhealthy, stuck.State);
        Assert.Equal("outbox storage has not answered for 60 s", stuck.Reason);
    }

    [Fact]
    public void StallWinsOverADeadCamera()
    {
        var monitor = Monitor();
        monitor.Evaluate(Snap(5, 10, 3, CameraState.Reconnecting));
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HealthState.Unhealthy, monitor.Evaluate(Snap(5, 10, 3, CameraState.Reconnecting)).State);
    }
}

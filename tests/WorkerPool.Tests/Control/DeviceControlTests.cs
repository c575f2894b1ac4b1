using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Control;
using WorkerPool.Counting;
using WorkerPool.Pipeline;
using WorkerPool.Tests.Pipeline;

namespace WorkerPool.Tests.Control;

/// <summary>The control surface: changes wait for the start-up pipeline and run one at a time; status never waits.</summary>
public sealed class DeviceControlTests
{
    private static DeviceConfig Config(params string[] cameras) => new()
    {
        DeviceId = "dev",
        Pool = new PoolOptions { Workers = [new WorkerOptions()], QueuePerCamera = 4 },
        Cameras = [.. cameras.Select(id => new CameraOptions { Id = id, Url = "rtsp://127.0.0.1:1/" + id, Fps = 5 })],
    };

    private static DeviceControl Control(DeviceConfig config, SourceRestartTests.SessionSources sources)
    {
        sources.FramesPerSession = 25;
        sources.Endless = true;
        var setup = new PipelineSetup(PipelineMode.Live, new NullCountSink(), sources) { Detectors = _ => new SourceRestartTests.NoPeople() };
        return new DeviceControl(config, setup, TimeProvider.System, NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task RequestsMadeBeforeStart_WaitForTheStartUpPipeline_AndStartEachReaderOnce()
    {
        var sources = new SourceRestartTests.SessionSources(sessions: 10);
        await using var control = Control(Config("cam"), sources);
        var restart = control.RestartCameraAsync("cam");
        var next = Config("cam");
        next.Cameras[0].Url = "rtsp://127.0.0.1:1/elsewhere"; // a source change: that camera restarts
        var apply = control.ApplyConfigAsync(next);
        Assert.False(restart.IsCompleted);
        Assert.False(apply.IsCompleted);
        Assert.False(control.Status().Running);
        Assert.Equal(0, sources.Opened);

        await control.StartAsync(CancellationToken.None);
        Assert.True(await restart);
        Assert.Empty(await apply);

        // The start-up reader, the restarted one, the one with the new URL: each opened its source once.
        var status = control.Status();
        Assert.True(status.Running);
        Assert.Equal("cam", Assert.Single(status.Cameras).Id);
        Assert.True(sources.Opened <= 3, $"{sources.Opened} sources opened");
        Assert.Equal("rtsp://127.0.0.1:1/elsewhere", control.Config.Cameras[0].Url);
    }

    [Fact]
    public async Task ConfigThatAddsACamera_AppliedWhileStarting_LeavesOnePipelineWithBothCameras()
    {
        var sources = new SourceRestartTests.SessionSources(sessions: 10);
        await using var control = Control(Config("a"), sources);
        var apply = control.ApplyConfigAsync(Config("a", "b"));
        await control.StartAsync(CancellationToken.None);
        Assert.Empty(await apply);
        Assert.Equal(["a", "b"], control.Status().Cameras.Select(c => c.Id));
    }

    [Fact]
    public async Task Stop_AnswersQueuedRequestsAndRefusesNewOnes()
    {
        var sources = new SourceRestartTests.SessionSources(sessions: 10);
        var control = Control(Config("cam"), sources);
        var queued = control.RestartCameraAsync("cam"); // never started: still queued at stop
        await control.StopAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => queued);
        await Assert.ThrowsAsync<InvalidOperationException>(() => control.RestartCameraAsync("cam"));
        Assert.False(control.Status().Running);
        await control.DisposeAsync();
    }

    [Fact]
    public async Task UnknownCamera_IsAnAnswerNotAnError()
    {
        var sources = new SourceRestartTests.SessionSources(sessions: 10);
        await using var control = Control(Config("cam"), sources);
        await control.StartAsync(CancellationToken.None);
        Assert.False(await control.RestartCameraAsync("nope"));
        Assert.Null(await control.SnapshotAsync("nope", 1000, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AfterStop_StatusKeepsWhatWasCountedToTheEnd()
    {
        var sources = new SourceRestartTests.SessionSources(sessions: 10);
        var control = Control(Config("cam"), sources);
        await control.StartAsync(CancellationToken.None);
        await control.StopAsync(CancellationToken.None);
        var final = control.Status();
        Assert.False(final.Running);
        Assert.Equal("cam", Assert.Single(final.Cameras).Id);
        await control.DisposeAsync();
    }
}

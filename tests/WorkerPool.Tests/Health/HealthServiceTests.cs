using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Health;

namespace WorkerPool.Tests.Health;

public sealed class HealthServiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("health-").FullName;
    private readonly FakeTimeProvider _time = new();
    private readonly FakeNotifier _notifier = new();
    private readonly RecordingLine _line = new();
    private PipelineSnapshot _snapshot = new(true, 0, 0, 0, []);
    private bool _online = true;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private HealthService Service(TimeSpan? watchdog) => new(
        new HealthMonitor(() => new HealthOptions { StallSeconds = 10 }, _time), () => _snapshot,
        new SystemdWatchdog(_notifier, watchdog), new StatusLed(_line, _time), () => _online, () => false,
        Path.Combine(_dir, "health.json"), "1.2.3+abc", _time, NullLogger.Instance);

    [Fact]
    public void HealthyPipeline_FeedsTheWatchdog_AndWritesAHealthyFile()
    {
        using var service = Service(TimeSpan.FromSeconds(20));
        service.Check();

        Assert.Equal(["WATCHDOG=1\nSTATUS=healthy"], _notifier.Sent);
        var file = HealthFile.Read(Path.Combine(_dir, "health.json"))!;
        Assert.Equal(("healthy", "1.2.3+abc", Environment.ProcessId), (file.State, file.Version, file.Pid));
        Assert.Contains("\"version\":\"1.2.3+abc\"", File.ReadAllText(Path.Combine(_dir, "health.json")));
    }

    [Fact]
    public void HealthFile_IsWrittenOnChangeAndEvery30Seconds_NotEveryRound()
    {
        using var service = Service(null);
        string path = Path.Combine(_dir, "health.json");
        var writes = new List<DateTimeOffset>();
        for (int i = 0; i < 40; i++) // 80 s of 2 s rounds
        {
            _snapshot = new(true, i, i, 0, []);
            service.Check();
            var time = HealthFile.Read(path)!.Time;
            if (writes.Count == 0 || writes[^1] != time) writes.Add(time);
            _time.Advance(TimeSpan.FromSeconds(2));
        }
        Assert.Equal(3, writes.Count); // at 0, 30 and 60 s

        _snapshot = PipelineSnapshot.None; // the verdict changes: written at once
        service.Check();
        Assert.Equal("unhealthy", HealthFile.Read(path)!.State);
    }

    [Fact]
    public void StuckPool_StopsFeedingTheWatchdog_SoSystemdRestartsTheService()
    {
        using var service = Service(TimeSpan.FromSeconds(20));
        for (int i = 0; i < 8; i++)
        {
            _snapshot = new(true, 7, 20 + i, 2, []); // frames keep arriving, nothing finishes
            service.Check();
            _time.Advance(TimeSpan.FromSeconds(2));
        }

        var pings = _notifier.Sent.Select(s => s.StartsWith("WATCHDOG=1", StringComparison.Ordinal)).ToList();
        Assert.True(pings[0]);
        Assert.False(pings[^1]);
        Assert.Contains("STATUS=unhealthy: inference pool finished nothing", _notifier.Sent[^1]);
        Assert.Equal("unhealthy", HealthFile.Read(Path.Combine(_dir, "health.json"))!.State);
        Assert.Equal(LedPattern.FastBlink, Pattern(service));
    }

    [Fact]
    public async Task ARoundThatThrows_SkipsThatPing_AndTheLoopGoesOn()
    {
        var logger = new ListLogger();
        int calls = 0;
        using var service = new HealthService(new HealthMonitor(() => new HealthOptions(), _time),
            () => ++calls == 1 ? throw new ObjectDisposedException("pool") : new PipelineSnapshot(true, calls, calls, 0, []),
            new SystemdWatchdog(_notifier, TimeSpan.FromSeconds(4)), new StatusLed(null, _time), () => true, () => false,
            Path.Combine(_dir, "health.json"), "1.0.0", _time, logger);

        await service.StartAsync(CancellationToken.None);
        for (int i = 0; i < 20 && _notifier.Sent.Count == 0; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            await Task.Delay(10);
        }
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(1, logger.Count(7004));
        Assert.StartsWith("WATCHDOG=1", _notifier.Sent[0], StringComparison.Ordinal);
        Assert.False(service.ExecuteTask!.IsFaulted);
        Assert.Equal("stopped", HealthFile.Read(Path.Combine(_dir, "health.json"))!.State);
    }

    [Fact]
    public void WithoutWatchdogSec_OnlyTheStatusLineIsSent()
    {
        using var service = Service(watchdog: null);
        service.Check();
        Assert.Equal(["STATUS=healthy"], _notifier.Sent);
    }

    [Fact]
    public void Offline_ShowsTheSlowBlink()
    {
        using var service = Service(null);
        _online = false;
        Assert.Equal(LedPattern.SlowBlink, Pattern(service));
        _online = true;
        Assert.Equal(LedPattern.On, Pattern(service));
    }

    private static LedPattern Pattern(HealthService service)
    {
        service.Check();
        return service.LedPattern;
    }

    private sealed class FakeNotifier : ISystemdNotifier
    {
        public List<string> Sent { get; } = [];
        public bool IsEnabled => true;
        public void Notify(ServiceState state) => Sent.Add(state.ToString());
    }

    internal sealed class RecordingLine : ILedLine
    {
        public List<bool> Writes { get; } = [];
        public void Write(bool lit) => Writes.Add(lit);
        public void Dispose() { }
    }
}

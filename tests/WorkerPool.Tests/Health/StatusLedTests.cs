using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Health;

namespace WorkerPool.Tests.Health;

public sealed class StatusLedTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(HealthState.Healthy, true, false, LedPattern.On)]
    [InlineData(HealthState.Healthy, false, false, LedPattern.SlowBlink)]
    [InlineData(HealthState.Degraded, true, false, LedPattern.FastBlink)]
    [InlineData(HealthState.Unhealthy, false, false, LedPattern.FastBlink)]
    [InlineData(HealthState.Healthy, true, true, LedPattern.FastBlink)]
    [InlineData(HealthState.Starting, true, false, LedPattern.On)]
    public void Choose_ErrorsWinOverOffline_OnlineAndCountingIsSteady(HealthState health, bool online, bool outboxFailing, LedPattern expected) =>
        Assert.Equal(expected, StatusLed.Choose(health, online, outboxFailing));

    /// <summary>Drives the LED for two seconds in 125 ms ticks and returns the lit state at each tick.</summary>
    private (List<bool> Timeline, List<bool> Writes) Run(LedPattern pattern)
    {
        var line = new HealthServiceTests.RecordingLine();
        using var led = new StatusLed(line, _time) { Pattern = pattern };
        var timeline = new List<bool>();
        for (int i = 0; i < 16; i++)
        {
            led.Tick();
            timeline.Add(line.Writes.Count > 0 && line.Writes[^1]);
            _time.Advance(StatusLed.TickInterval);
        }
        return (timeline, [.. line.Writes]);
    }

    [Fact]
    public void Steady_LightsOnceAndStaysLit()
    {
        var (timeline, writes) = Run(LedPattern.On);
        Assert.All(timeline, Assert.True);
        Assert.Equal([true], writes);
    }

    [Fact]
    public void SlowBlink_IsHalfASecondOnHalfASecondOff()
    {
        var (timeline, writes) = Run(LedPattern.SlowBlink);
        Assert.Equal([true, true, true, true, false, false, false, false, true, true, true, true, false, false, false, false], timeline);
        Assert.Equal(4, writes.Count); // the line is written only when it changes
    }

    [Fact]
    public void FastBlink_TogglesEvery125Milliseconds()
    {
        var (timeline, writes) = Run(LedPattern.FastBlink);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => i % 2 == 0), timeline);
        Assert.Equal(16, writes.Count);
    }

    [Fact]
    public void Dispose_DarkensTheLed()
    {
        var line = new HealthServiceTests.RecordingLine();
        var led = new StatusLed(line, _time) { Pattern = LedPattern.On };
        led.Tick();
        led.Dispose();
        Assert.Equal([true, false], line.Writes);
    }

    [Fact]
    public void LineThatFailsToWrite_TurnsTheLedOffForGood_WithOneLogLine()
    {
        var logger = new ListLogger();
        using var led = new StatusLed(new BrokenLine(), _time, logger) { Pattern = LedPattern.FastBlink };
        for (int i = 0; i < 8; i++)
        {
            led.Tick(); // never throws
            _time.Advance(StatusLed.TickInterval);
        }
        Assert.False(led.Present);
        Assert.Equal("Status LED off: writing its GPIO line failed: line gone", Assert.Single(logger.Lines).Message);
    }

    private sealed class BrokenLine : ILedLine
    {
        public void Write(bool lit) => throw new IOException("line gone");
        public void Dispose() { }
    }

    [Fact]
    public void BoardWithoutGpioChip_IsANoOpWithOneLogLine()
    {
        var logger = new ListLogger();
        string dev = Directory.CreateTempSubdirectory("dev-").FullName;
        try
        {
            using var led = StatusLed.Open(new StatusLedOptions { Enabled = true, Chip = 0, Line = 18 }, _time, logger, dev);
            Assert.False(led.Present);
            led.Pattern = LedPattern.FastBlink;
            led.Tick(); // no line, no throw
            var line = Assert.Single(logger.Lines);
            Assert.Contains("gpiochip0 does not exist", line.Message);
        }
        finally { Directory.Delete(dev, true); }
    }

    [Fact]
    public void DisabledLed_OpensNothingAndLogsNothing()
    {
        var logger = new ListLogger();
        using var led = StatusLed.Open(new StatusLedOptions(), _time, logger);
        Assert.False(led.Present);
        Assert.Empty(logger.Lines);
    }
}

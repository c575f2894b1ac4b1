using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Diagnostics;

namespace WorkerPool.Tests.Diagnostics;

public sealed class LogTailTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private static string[] Messages(LogTail tail) => [.. tail.Snapshot().Select(l => l.Text[(l.Text.IndexOf("] ", StringComparison.Ordinal) + 2)..])];

    [Fact]
    public void Lines_AreKeptOldestFirst_InTheConsoleSingleLineShape()
    {
        var tail = new LogTail(_time);
        var logger = tail.CreateLogger("WorkerPool.Mqtt");

        logger.Log(LogLevel.Information, new EventId(5000), "MQTT connected", null, (s, _) => s);
        _time.Advance(TimeSpan.FromMilliseconds(1500));
        logger.Log(LogLevel.Warning, new EventId(5001), "MQTT lost", null, (s, _) => s);

        var lines = tail.Snapshot();
        Assert.Equal("2026-12-01T12:00:00.000Z info: WorkerPool.Mqtt[5000] MQTT connected", lines[0].Text);
        Assert.Equal("2026-12-01T12:00:01.500Z warn: WorkerPool.Mqtt[5001] MQTT lost", lines[1].Text);
        Assert.Equal(_time.GetUtcNow(), lines[1].Time);
        Assert.Equal(LogLevel.Warning, lines[1].Level);
    }

    [Fact]
    public void Full_DropsTheOldestLine_AndNeverHoldsMoreThanItsCapacity()
    {
        var tail = new LogTail(_time, capacity: 3);
        var logger = tail.CreateLogger("c");

        for (int i = 1; i <= 5; i++)
        {
            string message = $"line {i}";
            logger.Log(LogLevel.Information, default, message, null, (s, _) => s);
        }

        Assert.Equal(["line 3", "line 4", "line 5"], Messages(tail));
        Assert.Equal(5, tail.Written);
    }

    [Fact]
    public void DebugAndTrace_AreNotKept_EvenWhenACategoryTurnsThemOn()
    {
        var tail = new LogTail(_time);
        var logger = tail.CreateLogger("c");

        Assert.False(logger.IsEnabled(LogLevel.Debug));
        logger.Log(LogLevel.Debug, default, "crossing", null, (s, _) => s);
        logger.Log(LogLevel.Trace, default, "frame", null, (s, _) => s);
        logger.Log(LogLevel.Error, default, "failed", null, (s, _) => s);

        Assert.Equal(["failed"], Messages(tail));
    }

    [Fact]
    public void TheHostsFilters_ApplyToTheTail()
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddLogTail());
        using var provider = services.BuildServiceProvider();
        var loggers = provider.GetRequiredService<ILoggerFactory>();

        loggers.CreateLogger("Microsoft.Hosting.Lifetime").LogInformation("Application started");
        loggers.CreateLogger("Microsoft.Hosting.Lifetime").LogWarning("slow stop");
        loggers.CreateLogger("WorkerPool.Mqtt").LogInformation("connected");

        Assert.Equal(["slow stop", "connected"], Messages(provider.GetRequiredService<LogTail>()));
    }

    [Fact]
    public void Exception_AddsItsTypeAndMessage_ButNoStack()
    {
        Exception thrown;
        try { throw new InvalidOperationException("outbox locked\nsecond line"); }
        catch (InvalidOperationException ex) { thrown = ex; }
        var tail = new LogTail(_time);

        tail.CreateLogger("WorkerPool.Outbox").Log(LogLevel.Error, new EventId(4001), "write failed", thrown, (s, _) => s);

        string line = Assert.Single(tail.Snapshot()).Text;
        Assert.EndsWith("[4001] write failed System.InvalidOperationException: outbox locked second line", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void LongLine_IsCutToTheLineCap()
    {
        var tail = new LogTail(_time);

        tail.CreateLogger("c").Log(LogLevel.Warning, default, new string('x', 10_000), null, (s, _) => s);

        string line = Assert.Single(tail.Snapshot()).Text;
        Assert.Equal(LogTail.MaxLineChars, line.Length);
        Assert.EndsWith("x" + LogTail.Ellipsis, line, StringComparison.Ordinal);
    }

    [Fact]
    public void CameraUrlWithAPassword_IsMasked()
    {
        var tail = new LogTail(_time);

        tail.CreateLogger("WorkerPool.Capture").Log(LogLevel.Warning, default, "Camera gate failed: rtsp://admin:s3cret@10.0.0.7/stream1 refused", null, (s, _) => s);

        string line = Assert.Single(tail.Snapshot()).Text;
        Assert.Contains("rtsp://admin:***@10.0.0.7/stream1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentWriters_LoseNoCount_AndStayWithinCapacity()
    {
        var tail = new LogTail(_time, capacity: 50);
        const int Writers = 4, PerWriter = 2000;

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            var logger = tail.CreateLogger($"w{w}");
            for (int i = 0; i < PerWriter; i++)
            {
                string message = $"{w}:{i}";
                logger.Log(LogLevel.Information, default, message, null, (s, _) => s);
                if (i % 100 == 0) Assert.InRange(tail.Snapshot().Count, 0, 50);
            }
        })));

        Assert.Equal(Writers * PerWriter, tail.Written);
        var messages = Messages(tail);
        Assert.Equal(50, messages.Length);
        // Each writer's own lines keep their order.
        foreach (var group in messages.Select(m => m.Split(':')).GroupBy(p => p[0]))
        {
            var seq = group.Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(seq.Order(), seq);
        }
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Messaging;
using WorkerPool.Outbox;

namespace WorkerPool.IntegrationTests.Messaging;

/// <summary>The outbox, connection and publisher in-process against a real Mosquitto on loopback.</summary>
public sealed class StoreAndForwardTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();
    private readonly ListLogger _log = new();
    private readonly CancellationTokenSource _stop = new();
    private CountOutbox _outbox = null!;
    private MqttConnection _connection = null!;
    private OutboxPublisher _publisher = null!;
    private Task _running = Task.CompletedTask;

    public Task InitializeAsync()
    {
        _broker.Start();
        _outbox = CountOutbox.Open(_dir.File("outbox.db"), new OutboxOptions(), TimeProvider.System, NullLogger.Instance);
        var options = new MqttOptions { Port = _broker.Port, KeepAliveSeconds = 5, MaxBackoffSeconds = 2 };
        _connection = new MqttConnection(options, "dev-1", "test", TimeProvider.System, _log);
        _publisher = new OutboxPublisher(_outbox, _connection, 25, TimeProvider.System, _log);
        return Task.CompletedTask;
    }

    private void StartDevice() =>
        _running = Task.WhenAll(_connection.RunAsync(_stop.Token), _publisher.RunAsync(_stop.Token));

    private static CountRecord Record(string camera, int n) => new()
    {
        DeviceId = "dev-1", CameraId = camera, FramesProcessed = n,
        WindowStart = DateTimeOffset.UnixEpoch.AddMinutes(n), WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(n + 1),
    };

    private static void AssertInOrderWithoutGaps(Received[] counts, string camera, int expected)
    {
        var seqs = counts.Where(m => m.Topic == $"workerpool/dev-1/counts/{camera}").Select(m => m.Json.GetProperty("seq").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task SteadyState_EveryRecordArrivesOnceInSeqOrderWithItsMessageId()
    {
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(_broker.Port, "workerpool/dev-1/counts/#");
        StartDevice();
        for (int i = 0; i < 30; i++) _outbox.Append(Record(i % 3 == 0 ? "b" : "a", i));

        var got = await probe.WaitForAsync(m => m.Length >= 30, TimeSpan.FromSeconds(20), "30 records");
        await Task.Delay(300); // nothing extra may follow

        Assert.Equal(30, probe.Messages.Count);
        AssertInOrderWithoutGaps(got, "a", 20);
        AssertInOrderWithoutGaps(got, "b", 10);
        Assert.All(got, m => Assert.Equal(m.Json.GetProperty("messageId").GetString(), m.UserProperties["messageId"]));
        Assert.Equal(30, got.Select(m => m.UserProperties["messageId"]).Distinct().Count());
        Assert.Equal(0, _outbox.Stats().Backlog);
    }

    [Fact]
    public async Task BrokerOutage_RecordsProducedMeanwhileArriveAfterwardsInOrderWithoutGaps()
    {
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(_broker.Port, "workerpool/dev-1/counts/#");
        StartDevice();
        for (int i = 0; i < 5; i++) _outbox.Append(Record("a", i));
        await probe.WaitForAsync(m => m.Length >= 5, TimeSpan.FromSeconds(20), "records before the outage");

        _broker.Stop();
        for (int i = 5; i < 25; i++) _outbox.Append(Record("a", i));
        Assert.Equal(20, _outbox.Stats().Backlog);
        await Task.Delay(1500);
        _broker.Start();
        await probe.ConnectAsync(_broker.Port, "workerpool/dev-1/counts/#");
        for (int i = 25; i < 30; i++) _outbox.Append(Record("a", i));

        var got = await probe.WaitForAsync(m => m.Select(x => x.Json.GetProperty("seq").GetInt64()).Distinct().Count() >= 30, TimeSpan.FromSeconds(30), "all 30 records");
        // At-least-once: a record whose PUBACK was lost in the outage may come twice; consumers drop it by messageId.
        var unique = got.DistinctBy(m => m.UserProperties["messageId"]).ToArray();
        AssertInOrderWithoutGaps(unique, "a", 30);
        Assert.Contains(_log.Lines, l => l.EventId == 5002); // the disconnect was logged
        Assert.Equal(0, _outbox.Stats().Backlog);
    }

    [Fact]
    public async Task UnreachableBroker_RetriesWithGrowingBackoffNotInAHotLoop()
    {
        _broker.Stop();
        StartDevice();
        await Task.Delay(TimeSpan.FromSeconds(6));
        int attempts = _log.Count(5001);
        Assert.InRange(attempts, 2, 6); // 1 s, 2 s, 2 s (capped) ... with jitter
        Assert.Contains("refused", _log.Lines.First(l => l.EventId == 5001).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ConnectionState.Reconnecting, _connection.State);
    }

    [Fact]
    public async Task Heartbeats_AreNotQueuedWhileOffline_OnlyTheCurrentOneIsSentOnReconnect()
    {
        var config = new DeviceConfig { DeviceId = "dev-1", Mqtt = new MqttOptions { Port = _broker.Port, HeartbeatSeconds = 3 } };
        config.Outbox.Path = _dir.File("outbox.db");
        var control = new WorkerPool.Control.DeviceControl(Microsoft.Extensions.Options.Options.Create(config), new WorkerPool.Counting.NullCountSink(),
            TimeProvider.System, NullLoggerFactory.Instance); // not started: no cameras to report
        var time = TimeProvider.System;
        var thermal = new WorkerPool.Control.ConfigSectionMonitor<ThermalOptions>(control, c => c.Thermal);
        // Every section the host registers, over this test's connection, outbox and publisher.
        var heartbeat = new HeartbeatPublisher(_connection, new HeartbeatAssembler(
        [
            new MessagingHeartbeatSection(config, new WorkerPool.Diagnostics.BuildInfo("test", "test"), _connection, _publisher),
            new WorkerPool.RemoteConfig.RemoteConfigHeartbeatSection(new FixedConfigVersion("cfg"), config),
            new SystemHeartbeatSection(new WorkerPool.Diagnostics.SystemMetrics(), config),
            new WorkerPool.Control.PipelineHeartbeatSection(control),
            new OutboxHeartbeatSection(_outbox),
            new WorkerPool.Health.HealthHeartbeatSection(new WorkerPool.Health.HealthMonitor(new WorkerPool.Control.ConfigSectionMonitor<HealthOptions>(control, c => c.Health), time)),
            new WorkerPool.Health.ThermalHeartbeatSection(new WorkerPool.Health.ThermalGovernor(thermal, time, NullLoggerFactory.Instance), thermal),
            new ClockHeartbeatSection(WorkerPool.Diagnostics.LinuxHostClock.Instance, time),
        ], time), TimeSpan.FromSeconds(config.Mqtt.HeartbeatSeconds), time, _log);
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(_broker.Port, "workerpool/dev-1/heartbeat");
        StartDevice();
        var beats = Task.Run(() => heartbeat.RunAsync(_stop.Token));
        await probe.WaitForAsync(m => m.Length >= 2, TimeSpan.FromSeconds(15), "heartbeats while online");

        var outageStart = DateTimeOffset.UtcNow;
        _broker.Stop();
        await Task.Delay(TimeSpan.FromSeconds(7)); // two heartbeats fall due while offline
        _broker.Start();
        var outageEnd = DateTimeOffset.UtcNow;
        await probe.ConnectAsync(_broker.Port, "workerpool/dev-1/heartbeat");
        int before = probe.Messages.Count;
        await probe.WaitForAsync(m => m.Length > before, TimeSpan.FromSeconds(15), "heartbeat after reconnect");
        await Task.Delay(TimeSpan.FromSeconds(1));

        // Nothing made during the outage was kept and sent later: every heartbeat is from before or after it.
        var times = probe.Messages.Select(m => m.Json.GetProperty("time").GetDateTimeOffset()).ToArray();
        Assert.DoesNotContain(times, t => t > outageStart.AddSeconds(0.5) && t < outageEnd);
        var after = probe.Messages.Skip(before).ToArray();
        Assert.InRange(after.Length, 1, 2); // the reconnect one (and at most one periodic tick): no burst
        Assert.Empty(SchemaCheck.Validate("heartbeat.schema.json", after[0].Json));
        await control.DisposeAsync();
        _ = beats;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running.WaitAsync(TimeSpan.FromSeconds(10)); } catch (OperationCanceledException) { }
        await _connection.DisposeAsync();
        _publisher.Dispose();
        _outbox.Dispose();
        _broker.Dispose();
        _dir.Dispose();
        _stop.Dispose();
    }

    private sealed class FixedConfigVersion(string version) : IConfigVersion
    {
        public string ConfigVersion => version;
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Messaging;
using WorkerPool.Outbox;

namespace WorkerPool.IntegrationTests.Messaging;

/// <summary>Brokers that fail without closing the connection, and a reconnect after a failed attempt.</summary>
public sealed class BrokerFaultTests : IAsyncDisposable
{
    private const int ConnectFailed = 5001, Connected = 5000, NotAcknowledged = 5009;
    private readonly TempDir _dir = new();
    private readonly ListLogger _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    private MqttConnection Connection(int port) =>
        new(new MqttOptions { Port = port, KeepAliveSeconds = 5, MaxBackoffSeconds = 1, TimeoutSeconds = 2 }, "dev-1", "test", TimeProvider.System, _log);

    private CountOutbox OutboxHoldingOneRecord()
    {
        var outbox = CountOutbox.Open(_dir.File("outbox.db"), new OutboxOptions(), TimeProvider.System, NullLogger.Instance);
        outbox.Append(new CountRecord { DeviceId = "dev-1", CameraId = "cam", WindowStart = DateTimeOffset.UnixEpoch, WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(1) });
        return outbox;
    }

    /// <summary>A connection with a subscription, so that each attempt sends a SUBSCRIBE after its CONNACK.</summary>
    private MqttConnection ConnectionThatSubscribes(int port)
    {
        var connection = Connection(port);
        connection.Subscribe("workerpool/dev-1/cmd/+", _ => Task.CompletedTask);
        return connection;
    }

    private async Task Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what} not seen within {timeout}; log: {string.Join(" | ", _log.Lines.TakeLast(8).Select(l => l.Message))}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Connect_ListenerThatNeverAnswers_TimesOutWithALogLineAndRetries()
    {
        using var silent = new StallingBroker(StallingBroker.Mode.Silent);
        await using var connection = Connection(silent.Port);
        _running.Add(connection.RunAsync(_stop.Token));

        await Until(() => _log.Count(ConnectFailed) >= 2, TimeSpan.FromSeconds(20), "two timed-out connect attempts");
        string first = _log.Lines.First(l => l.EventId == ConnectFailed).Message;
        Assert.True(first.Contains("did not answer the CONNECT within 2 s", StringComparison.Ordinal), first);
        Assert.Equal(ConnectionState.Reconnecting, connection.State);
    }

    [Fact]
    public async Task Publish_BrokerThatNeverAcknowledges_TimesOutLogsBacksOffAndKeepsTheRecord()
    {
        using var broker = new StallingBroker(StallingBroker.Mode.NoPuback);
        using var outbox = OutboxHoldingOneRecord();
        await using var connection = Connection(broker.Port);
        using var publisher = new OutboxPublisher(outbox, connection, 25, TimeProvider.System, _log);
        _running.Add(connection.RunAsync(_stop.Token));
        _running.Add(publisher.RunAsync(_stop.Token));

        await Until(() => _log.Count(NotAcknowledged) >= 2, TimeSpan.FromSeconds(30), "two unacknowledged publishes");
        Assert.Contains("did not acknowledge", _log.Lines.First(l => l.EventId == NotAcknowledged).Message, StringComparison.Ordinal);
        var attempts = broker.Published.Where(p => p.Topic == "workerpool/dev-1/counts/cam").Select(p => p.At).ToArray();
        // Each try waits its timeout (2 s) and then a backoff: no hot loop, and the record stays until acknowledged.
        Assert.InRange(attempts.Length, 2, 4);
        Assert.True(attempts[1] - attempts[0] >= TimeSpan.FromSeconds(2), $"retried after {(attempts[1] - attempts[0]).TotalSeconds:0.0} s");
        Assert.Equal(1, outbox.Stats().Backlog);
    }

    [Fact]
    public async Task Reconnect_AfterAnAttemptThatFailedPastConnack_ThePublisherStillSendsTheBacklog()
    {
        // The first attempt gets its CONNACK, then the SUBSCRIBE goes unanswered: that attempt is closed again. The
        // publisher, waiting for a connection since the start, must still be woken by the next one.
        using var broker = new StallingBroker(StallingBroker.Mode.FirstSubscribeUnanswered);
        using var outbox = OutboxHoldingOneRecord();
        await using var connection = ConnectionThatSubscribes(broker.Port);
        using var publisher = new OutboxPublisher(outbox, connection, 25, TimeProvider.System, _log);
        _running.Add(connection.RunAsync(_stop.Token));
        _running.Add(publisher.RunAsync(_stop.Token));

        await Until(() => outbox.Stats().Backlog == 0, TimeSpan.FromSeconds(30), "the backlog published after the second attempt");
        Assert.True(broker.Connects >= 2, $"{broker.Connects} connects");
        Assert.Contains(_log.Lines, l => l.EventId == ConnectFailed && l.Message.Contains("SUBSCRIBE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Publisher_StartedWhileASessionIsHalfSetUp_WaitsForOneThatIsUpInFull()
    {
        // CONNACK has come but the SUBSCRIBE is unanswered: the client says it is connected, yet this attempt will be
        // closed. A publisher starting now must wait for the next session, not send into this one.
        using var broker = new StallingBroker(StallingBroker.Mode.FirstSubscribeUnanswered);
        using var outbox = OutboxHoldingOneRecord();
        await using var connection = ConnectionThatSubscribes(broker.Port);
        _running.Add(connection.RunAsync(_stop.Token));
        await Until(() => broker.Subscribes >= 1, TimeSpan.FromSeconds(20), "the first SUBSCRIBE");
        Assert.False(connection.IsConnected);

        using var publisher = new OutboxPublisher(outbox, connection, 25, TimeProvider.System, _log);
        _running.Add(publisher.RunAsync(_stop.Token));

        await Until(() => outbox.Stats().Backlog == 0, TimeSpan.FromSeconds(30), "the backlog published");
        var counts = broker.Published.Where(p => p.Topic == "workerpool/dev-1/counts/cam").ToArray();
        Assert.All(counts, p => Assert.True(p.Connect >= 2, $"published in session {p.Connect}"));
    }

    [Fact]
    public async Task Reconnect_AfterAFailedAttempt_StaysConnectedWithoutConnectingAgain()
    {
        using var broker = new MosquittoBroker();
        await using var connection = Connection(broker.Port);
        _running.Add(connection.RunAsync(_stop.Token));
        await Until(() => _log.Count(ConnectFailed) >= 1, TimeSpan.FromSeconds(20), "a failed attempt while the broker is down");

        broker.Start();
        await Until(() => connection.State == ConnectionState.Connected, TimeSpan.FromSeconds(20), "connected");
        int failuresBefore = _log.Count(ConnectFailed);
        // Two round trips through the broker: the session is live and used.
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(broker.Port, "workerpool/dev-1/#");
        for (int i = 1; i <= 2; i++)
        {
            await connection.PublishAsync(new MQTTnet.MqttApplicationMessageBuilder().WithTopic("workerpool/dev-1/probe")
                .WithPayload("{}").WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), CancellationToken.None);
            int n = i;
            await probe.WaitForAsync(m => m.Count(x => x.Topic == "workerpool/dev-1/probe") >= n, TimeSpan.FromSeconds(10), "round trip");
        }

        Assert.Equal(ConnectionState.Connected, connection.State);
        Assert.Equal(failuresBefore, _log.Count(ConnectFailed)); // no ConnectAsync on the live session
        Assert.Equal(1, _log.Count(Connected));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(20)); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
        _dir.Dispose();
    }
}

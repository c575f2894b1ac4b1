using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;
using WorkerPool.Outbox;
using WorkerPool.Tests.Outbox;

namespace WorkerPool.Tests.Messaging;

public sealed class MessagingHeartbeatSectionTests : IAsyncDisposable
{
    private readonly OutboxTestFiles _files = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly CountOutbox _outbox;
    private readonly MqttConnection _connection;
    private readonly OutboxPublisher _publisher;

    public MessagingHeartbeatSectionTests()
    {
        _outbox = CountOutbox.Open(_files.DbPath, new OutboxOptions(), _time, NullLogger.Instance, new FixedHostClock());
        _connection = new MqttConnection(new MqttOptions(), "dev-7", "2.0.1", _time, NullLogger.Instance);
        _publisher = new OutboxPublisher(_outbox, _connection, 10, _time, NullLogger.Instance);
    }

    [Fact]
    public void WriteTo_WritesIdentityBootTimeAndUptimeToATenthOfASecond()
    {
        _time.Advance(TimeSpan.FromSeconds(75.26));
        var section = new MessagingHeartbeatSection(new DeviceConfig { DeviceId = "dev-7" }, new BuildInfo("2.0.1", "2.0.1+abc"), _connection, _publisher);
        var draft = new HeartbeatDraft(_time.GetUtcNow());

        section.WriteTo(draft);

        Assert.Equal(("dev-7", "2.0.1", new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero), 75.3), (draft.DeviceId, draft.Version, draft.BootTime, draft.UptimeSeconds));
        Assert.Null(draft.LastPublishAt); // nothing acknowledged yet
    }

    [Fact]
    public void WriteTo_SaysHowManySecondsApartHeartbeatsCome_SoAConsumerKnowsWhenOneIsOverdue()
    {
        var config = new DeviceConfig { DeviceId = "dev-7", Mqtt = new MqttOptions { HeartbeatSeconds = 45 } };
        var draft = new HeartbeatDraft(_time.GetUtcNow());

        new MessagingHeartbeatSection(config, new BuildInfo("2.0.1", "2.0.1+abc"), _connection, _publisher).WriteTo(draft);

        Assert.Equal(45, draft.HeartbeatSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        _publisher.Dispose();
        await _connection.DisposeAsync();
        _outbox.Dispose();
        _files.Dispose();
    }
}

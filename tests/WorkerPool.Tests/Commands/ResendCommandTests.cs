using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Commands;
using WorkerPool.Commands.Handlers;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Messaging;
using WorkerPool.Outbox;
using WorkerPool.Tests.Outbox;

namespace WorkerPool.Tests.Commands;

public sealed class ResendCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "resend-test-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly OutboxOptions _options = new();
    private readonly CountOutbox _outbox;
    private readonly FakePublisher _mqtt = new();

    public ResendCommandTests() =>
        _outbox = CountOutbox.Open(Path.Combine(_dir, "outbox.db"), _options, _time, NullLogger.Instance, new FixedHostClock());

    private ResendCommand Command() => new(_outbox, _mqtt, NullLoggerFactory.Instance);

    private static JsonObject Request(string json) => JsonNode.Parse(json)!.AsObject();

    private OutboxEntry Stored(string camera) => _outbox.Append(new CountRecord { DeviceId = "dev-1", CameraId = camera, FramesProcessed = 5 })!;

    private void Publish() => _outbox.Delete([.. _outbox.ReadOldest(1000).Select(e => e.Id)]);

    [Theory]
    [InlineData("""{"fromSeq": 1, "toSeq": 2}""", """resend needs {"camera": "<id>", "fromSeq": <first>, "toSeq": <last>}""")]
    [InlineData("""{"camera": 7, "fromSeq": 1, "toSeq": 2}""", """resend needs {"camera": "<id>", "fromSeq": <first>, "toSeq": <last>}""")]
    [InlineData("""{"camera": "a", "toSeq": 2}""", "fromSeq and toSeq are whole numbers")]
    [InlineData("""{"camera": "a", "fromSeq": "1", "toSeq": 2}""", "fromSeq and toSeq are whole numbers")]
    [InlineData("""{"camera": "a", "fromSeq": 1.5, "toSeq": 2}""", "fromSeq and toSeq are whole numbers")]
    [InlineData("""{"camera": "a", "fromSeq": 0, "toSeq": 2}""", "fromSeq must be at least 1 (it is 0)")]
    [InlineData("""{"camera": "a", "fromSeq": 5, "toSeq": 4}""", "toSeq (4) must not be below fromSeq (5)")]
    [InlineData("""{"camera": "a", "fromSeq": 1, "toSeq": 501}""", "at most 500 records per resend: 1 to 501 is 501")]
    public async Task BadRequest_IsRefusedWithWhatIsWrong_AndSendsNothing(string request, string error)
    {
        Stored("a");
        Publish();

        var ex = await Assert.ThrowsAsync<CommandException>(() => Command().RunAsync(Request(request)));

        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
        Assert.Empty(_mqtt.Sent);
    }

    [Fact]
    public async Task ArchivedRecords_AreRepublishedAsTheyFirstWent_AndTheRestIsNamedMissing()
    {
        var first = Stored("a");
        Stored("b");
        var second = Stored("a");
        Publish();
        Stored("a"); // seq 3: still waiting, it will go anyway

        var result = (await Command().RunAsync(Request("""{"camera": "a", "fromSeq": 1, "toSeq": 5, "time": "ignored", "nonce": "ignored"}""")))!;

        Assert.Equal("""{"resent":2,"missing":[[4,5]]}""", result.ToJsonString());
        Assert.Equal(2, _mqtt.Sent.Count);
        foreach (var (message, entry) in _mqtt.Sent.Zip([first, second]))
        {
            Assert.Equal("workerpool/dev-1/counts/a", message.Topic);
            Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
            Assert.False(message.Retain);
            Assert.Equal(entry.Payload, Encoding.UTF8.GetString(message.Payload));
            Assert.Equal("application/json", message.ContentType);
            Assert.Equal([("messageId", entry.MessageId), ("seq", entry.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                message.UserProperties.Select(p => (p.Name, Encoding.UTF8.GetString(p.ValueBuffer.Span))));
        }
    }

    [Fact]
    public async Task TheSameMessage_AsTheOutboxPublisherSends()
    {
        var entry = Stored("a");
        var published = CountMessage.Of(entry, _mqtt.Topics);
        Publish();

        await Command().RunAsync(Request("""{"camera": "a", "fromSeq": 1, "toSeq": 1}"""));

        var resent = Assert.Single(_mqtt.Sent);
        Assert.Equal((published.Topic, published.QualityOfServiceLevel, published.ContentType), (resent.Topic, resent.QualityOfServiceLevel, resent.ContentType));
        Assert.Equal(published.Payload.ToArray(), resent.Payload.ToArray());
        Assert.Equal(published.UserProperties.Select(p => (p.Name, Encoding.UTF8.GetString(p.ValueBuffer.Span))), resent.UserProperties.Select(p => (p.Name, Encoding.UTF8.GetString(p.ValueBuffer.Span))));
    }

    [Fact]
    public async Task NothingArchived_NothingResent_TheWholeRangeMissing()
    {
        var result = (await Command().RunAsync(Request("""{"camera": "gone", "fromSeq": 10, "toSeq": 509}""")))!;

        Assert.Equal("""{"resent":0,"missing":[[10,509]]}""", result.ToJsonString());
        Assert.Empty(_mqtt.Sent);
    }

    [Fact]
    public async Task BrokerRefusal_IsAnErrorThatSaysHowFarItGot()
    {
        Stored("a");
        Stored("a");
        Publish();
        _mqtt.RefuseAfter = 1;

        var ex = await Assert.ThrowsAsync<CommandException>(() => Command().RunAsync(Request("""{"camera": "a", "fromSeq": 1, "toSeq": 2}""")));

        Assert.Equal("the broker refused seq 2 (not authorized) after 1 resent", ex.Message);
    }

    [Fact]
    public async Task ThroughTheCommandService_TheReplyIsOkWithTheResult()
    {
        Stored("a");
        Publish();
        var handlers = new ICommandHandler[] { Command() };
        using var gate = new CommandGate("dev-1", ["resend"], () => null, 256 * 1024, _time);
        await using var connection = new MqttConnection(new MqttOptions(), "dev-1", "test", _time, NullLogger.Instance);
        var service = new CommandService(connection, gate, handlers, NullLoggerFactory.Instance);

        var reply = await service.RunAsync(new CommandMessage("resend", Encoding.UTF8.GetBytes("""{"camera":"a","fromSeq":1,"toSeq":2}"""), "ops/reply", []));

        Assert.Equal("""{"ok":true,"result":{"resent":1,"missing":[[2,2]]}}""", reply!.ToJsonString());
    }

    public void Dispose()
    {
        _outbox.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private sealed class FakePublisher : IMqttPublisher
    {
        public List<MqttApplicationMessage> Sent { get; } = [];

        public int RefuseAfter { get; set; } = int.MaxValue;

        public Topics Topics { get; } = new("workerpool", "dev-1");

        public Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
        {
            if (Sent.Count >= RefuseAfter)
                return Task.FromResult(new MqttClientPublishResult(1, MqttClientPublishReasonCode.NotAuthorized, "not authorized", []));
            Sent.Add(message);
            return Task.FromResult(new MqttClientPublishResult(1, MqttClientPublishReasonCode.Success, "", []));
        }
    }
}

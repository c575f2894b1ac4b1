using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>One message a test subscriber received.</summary>
public sealed record Received(string Topic, string Payload, bool Retained, IReadOnlyDictionary<string, string> UserProperties)
{
    public JsonElement Json => JsonDocument.Parse(Payload).RootElement;
}

/// <summary>
/// A test subscriber (MQTTnet) with a persistent session, so messages published while it or the broker was down
/// still reach it once it reconnects.
/// </summary>
public sealed class MqttProbe : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _clientId = "probe-" + Guid.NewGuid().ToString("N")[..8];

    public ConcurrentQueue<Received> Messages { get; } = new();

    public MqttProbe()
    {
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            if (m.CorrelationData is { Length: > 0 } c && _replies.TryRemove(Encoding.UTF8.GetString(c), out var waiter))
            {
                waiter.TrySetResult(JsonDocument.Parse(Encoding.UTF8.GetString(m.Payload)).RootElement.Clone());
                return Task.CompletedTask;
            }
            var props = (m.UserProperties ?? []).ToDictionary(p => p.Name, p => Encoding.UTF8.GetString(p.ValueBuffer.Span));
            Messages.Enqueue(new Received(m.Topic, Encoding.UTF8.GetString(m.Payload), m.Retain, props));
            return Task.CompletedTask;
        };
    }

    public async Task ConnectAsync(int port, string topicFilter, TimeSpan? timeout = null)
    {
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(_clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(false).WithSessionExpiryInterval(3600).Build();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            try
            {
                var result = await _client.ConnectAsync(options);
                if (!result.IsSessionPresent)
                    await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topicFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public Task PublishAsync(string topic, byte[] payload, bool retain) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build());

    public Task PublishAsync(string topic, string payload, bool retain) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build());

    /// <summary>MQTT 5 request/response: publishes with a response topic and correlation data, waits for the reply.</summary>
    public async Task<JsonElement> RequestAsync(string topic, string payload, TimeSpan timeout)
    {
        string responseTopic = $"probe/{_clientId}/reply";
        if (!_subscribedReplies)
        {
            await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(responseTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
            _subscribedReplies = true;
        }
        string correlation = Guid.NewGuid().ToString("N");
        var pending = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[correlation] = pending;
        await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithResponseTopic(responseTopic).WithCorrelationData(Encoding.UTF8.GetBytes(correlation)).Build());
        return await pending.Task.WaitAsync(timeout);
    }

    private bool _subscribedReplies;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _replies = new();

    public async Task DisconnectAsync()
    {
        if (_client.IsConnected) await _client.DisconnectAsync();
    }

    public async Task<Received[]> WaitForAsync(Func<Received[], bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var now = Messages.ToArray();
            if (done(now)) return now;
            await Task.Delay(50);
        }
        var got = Messages.ToArray();
        throw new TimeoutException($"{what} not seen within {timeout}; got {got.Length}: {string.Join(" | ", got.TakeLast(5).Select(m => m.Topic + " " + m.Payload[..Math.Min(120, m.Payload.Length)]))}");
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync();
        _client.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

namespace WorkerPool.IntegrationTests.Soak;

/// <summary>One message the soak's observer received, with when (seconds since the run started).</summary>
public sealed record Observed(double At, string Topic, JsonElement Json, string? MessageId);

/// <summary>
/// The fleet side of the soak: one MQTT 5 session with a persistent subscription to everything the device
/// publishes, kept up across broker restarts, so counts published while it was away still reach it. Also sends
/// commands and desired configs.
/// </summary>
public sealed class SoakObserver : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _clientId = "soak-observer-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Stopwatch _clock;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _replies = new();
    private readonly CancellationTokenSource _stop = new();
    private int _port;
    private string _filter = "";
    private Task _keeping = Task.CompletedTask;

    public SoakObserver(Stopwatch clock)
    {
        _clock = clock;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            string payload = Encoding.UTF8.GetString(m.Payload);
            if (m.CorrelationData is { Length: > 0 } c && _replies.TryRemove(Encoding.UTF8.GetString(c), out var waiter))
            {
                waiter.TrySetResult(JsonDocument.Parse(payload).RootElement.Clone());
                return Task.CompletedTask;
            }
            if (payload.Length == 0) return Task.CompletedTask;
            string? id = m.UserProperties?.FirstOrDefault(p => p.Name == "messageId") is { } p ? Encoding.UTF8.GetString(p.ValueBuffer.Span) : null;
            JsonElement json;
            try { json = JsonDocument.Parse(payload).RootElement.Clone(); }
            catch (JsonException) { return Task.CompletedTask; }
            Messages.Enqueue(new Observed(_clock.Elapsed.TotalSeconds, m.Topic, json, id));
            return Task.CompletedTask;
        };
    }

    /// <summary>Everything received, in arrival order.</summary>
    public ConcurrentQueue<Observed> Messages { get; } = new();

    /// <summary>Connects and keeps reconnecting (every 200 ms while the broker is down) until disposed.</summary>
    public async Task StartAsync(int port, string topicFilter)
    {
        (_port, _filter) = (port, topicFilter);
        await ConnectAsync(TimeSpan.FromSeconds(30));
        _keeping = Task.Run(KeepConnectedAsync);
    }

    private async Task KeepConnectedAsync()
    {
        // Bounded: one check every 200 ms for at most a day.
        for (int i = 0; i < 432_000 && !_stop.IsCancellationRequested; i++)
        {
            try { await Task.Delay(200, _stop.Token); }
            catch (OperationCanceledException) { return; }
            if (!_client.IsConnected) await ConnectAsync(TimeSpan.FromMilliseconds(500));
        }
    }

    private async Task ConnectAsync(TimeSpan patience)
    {
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithClientId(_clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(false).WithSessionExpiryInterval(86_400).WithTimeout(TimeSpan.FromSeconds(5)).Build();
        var deadline = DateTime.UtcNow + patience;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await _client.ConnectAsync(options, _stop.Token);
                if (!result.IsSessionPresent)
                    await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                        .WithTopicFilter(_filter, MqttQualityOfServiceLevel.AtLeastOnce)
                        .WithTopicFilter($"soak/{_clientId}/reply", MqttQualityOfServiceLevel.AtLeastOnce).Build(), _stop.Token);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !_stop.IsCancellationRequested)
            {
                await Task.Delay(100);
            }
            catch (Exception) { return; } // the keeper tries again
        }
    }

    /// <summary>Publishes (QoS 1); false when not connected or the broker did not take it.</summary>
    public async Task<bool> PublishAsync(string topic, string payload, bool retain)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var result = await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build(), timeout.Token);
            return result.IsSuccess;
        }
        catch (Exception) { return false; }
    }

    /// <summary>An MQTT 5 request (a device command); null when no reply came within <paramref name="timeout"/>.</summary>
    public async Task<JsonElement?> RequestAsync(string topic, string payload, TimeSpan timeout)
    {
        string correlation = Guid.NewGuid().ToString("N");
        var pending = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[correlation] = pending;
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithResponseTopic($"soak/{_clientId}/reply").WithCorrelationData(Encoding.UTF8.GetBytes(correlation)).Build(), cts.Token);
            return await pending.Task.WaitAsync(timeout);
        }
        catch (Exception) { return null; }
        finally { _replies.TryRemove(correlation, out _); }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _keeping;
        if (_client.IsConnected)
        {
            try { await _client.DisconnectAsync(); } catch (Exception) { }
        }
        _client.Dispose();
        _stop.Dispose();
    }
}

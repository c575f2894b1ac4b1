using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Broker;

namespace WorkerPool.Fleet.Simulate;

/// <summary>
/// One simulated device on its own MQTT 5 connection, publishing exactly the device's payloads: a retained
/// online status with an offline last will, count records (QoS 1, seq and messageId) at each window close, and a
/// heartbeat per window. During its outage it drops off the network (the broker sends its will), keeps counting into
/// a buffer, and replays the buffer in order when it is back, as the device's outbox does. A backlog
/// (<see cref="SimulationOptions.BacklogWindows"/>) is in the buffer from the start and goes out at the first
/// connection, before the first live window.
/// </summary>
internal sealed class VirtualDevice(SimulationPlan plan, int index, BrokerEndpoint broker, TimeProvider time, PublishLog? log = null)
{
    private readonly string _id = plan.DeviceId(index);
    private readonly Topics _topics = new(plan.Options.Prefix, plan.DeviceId(index));
    private readonly Queue<CountRecord> _buffer = new();
    private readonly DateTimeOffset _boot = time.GetUtcNow();

    /// <summary>Records published and acknowledged by the broker.</summary>
    public long Acknowledged { get; private set; }

    /// <summary>Runs every window, then publishes a clean offline status and disconnects.</summary>
    public async Task RunAsync(DateTimeOffset wallStart, SemaphoreSlim connectSlots, CancellationToken token)
    {
        var o = plan.Options;
        var outage = plan.Outage(index);
        using var client = new MqttClientFactory().CreateMqttClient();
        await WithReconnectAsync(client, connectSlots, () => Task.CompletedTask, token).ConfigureAwait(false);
        if (o.BacklogWindows > 0)
        {
            for (int w = -o.BacklogWindows; w < 0; w++)
                for (int c = 0; c < o.Cameras; c++) _buffer.Enqueue(plan.Record(index, c, w));
            await FlushAsync(client, connectSlots, token).ConfigureAwait(false);
        }
        for (int w = 0; w < o.Windows; w++)
        {
            if (!o.Fast)
            {
                var due = wallStart.AddSeconds((w + 1.0) * o.WindowSeconds) - time.GetUtcNow();
                if (due > TimeSpan.Zero) await Task.Delay(due, time, token).ConfigureAwait(false);
            }
            bool offline = outage is { } out1 && w >= out1.First && w < out1.First + out1.Count;
            if (offline && client.IsConnected)
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(), token).ConfigureAwait(false);
            for (int c = 0; c < o.Cameras; c++) _buffer.Enqueue(plan.Record(index, c, w));
            if (offline) continue;
            await FlushAsync(client, connectSlots, token).ConfigureAwait(false);
            await WithReconnectAsync(client, connectSlots, () => PublishHeartbeatAsync(client, w, token), token).ConfigureAwait(false);
        }
        await FlushAsync(client, connectSlots, token).ConfigureAwait(false);
        // Lingering devices stay online, with a heartbeat per window, so a dashboard has live ones to show.
        var lingerEnd = time.GetUtcNow() + o.Linger;
        for (int beat = 0; beat < 100_000 && time.GetUtcNow() < lingerEnd; beat++)
        {
            var wait = TimeSpan.FromSeconds(Math.Min(o.WindowSeconds, Math.Max(0.05, (lingerEnd - time.GetUtcNow()).TotalSeconds)));
            await Task.Delay(wait, time, token).ConfigureAwait(false);
            await WithReconnectAsync(client, connectSlots, () => PublishHeartbeatAsync(client, o.Windows - 1, token), token).ConfigureAwait(false);
        }
        await WithReconnectAsync(client, connectSlots, () => PublishAsync(client, _topics.Status, Status("offline", "stopped"), MqttQualityOfServiceLevel.AtLeastOnce, retain: true, token), token).ConfigureAwait(false);
        await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), token).ConfigureAwait(false);
    }

    private async Task ConnectAsync(IMqttClient client, SemaphoreSlim slots, CancellationToken token)
    {
        await slots.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var options = broker.Options(_id).WithCleanStart(true).WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
                .WithWillTopic(_topics.Status).WithWillRetain(true).WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithWillPayload(JsonSerializer.SerializeToUtf8Bytes(new StatusPayload("offline", _id, null, null, null, "lost"), ContractJsonContext.Default.StatusPayload)).Build();
            await client.ConnectAsync(options, token).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
        await PublishAsync(client, _topics.Status, Status("online", null), MqttQualityOfServiceLevel.AtLeastOnce, retain: true, token).ConfigureAwait(false);
    }

    private async Task FlushAsync(IMqttClient client, SemaphoreSlim slots, CancellationToken token)
    {
        while (_buffer.TryPeek(out var record))
        {
            byte[] payload = JsonSerializer.SerializeToUtf8Bytes(record, ContractJsonContext.Default.CountRecord);
            log?.Add(record.MessageId, time.GetUtcNow());
            string topic = _topics.Counts(record.CameraId);
            await WithReconnectAsync(client, slots, async () =>
            {
                var result = await PublishAsync(client, topic, payload, MqttQualityOfServiceLevel.AtLeastOnce, retain: false, token).ConfigureAwait(false);
                // A broker drops a record no subscription takes (a shared group with no member connected, just after it
                // restarted): a simulator that must prove delivery sends it again, as a device holding it would.
                if (plan.Options.RequireSubscriber && result.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers) throw new NoSubscriberException(topic);
            }, token).ConfigureAwait(false);
            _buffer.Dequeue(); // only once the broker has it, as the outbox deletes on PUBACK
            Acknowledged++;
        }
    }

    /// <summary>
    /// Runs <paramref name="publish"/>, reconnecting and trying again while the broker is away (a broker restart),
    /// for up to two minutes. A record whose PUBACK was lost is sent again: the ingest drops it by messageId.
    /// </summary>
    private async Task WithReconnectAsync(IMqttClient client, SemaphoreSlim slots, Func<Task> publish, CancellationToken token)
    {
        var deadline = time.GetUtcNow().AddMinutes(2);
        while (true)
        {
            try
            {
                if (!client.IsConnected) await ConnectAsync(client, slots, token).ConfigureAwait(false);
                await publish().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or MQTTnet.Exceptions.MqttClientNotConnectedException or OperationCanceledException or NoSubscriberException
                                       && !token.IsCancellationRequested && time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, token).ConfigureAwait(false);
            }
        }
    }

    private async Task PublishHeartbeatAsync(IMqttClient client, int window, CancellationToken token)
    {
        var o = plan.Options;
        var now = time.GetUtcNow();
        long admitted = 5L * o.WindowSeconds * (window + 1);
        var cameras = Enumerable.Range(0, o.Cameras).Select(c => new CameraPayload(SimulationPlan.CameraId(c), "connected", null, 5, 5, 25L * o.WindowSeconds * (window + 1), admitted, 0, 0)
        {
            FramesProcessed = admitted, LastDetectionAt = now, FrozenSeconds = 0, PictureUniform = false,
        }).ToList();
        var heartbeat = new HeartbeatPayload(_id, now, "sim", "1", _boot, (now - _boot).TotalSeconds,
            new SystemPayload(0.5, 2, 150L << 20, 10L << 30, [new TemperaturePayload("thermal_zone0", "cpu-thermal", 45 + index % 20)]),
            cameras, [new WorkerPayload(0, "cpu", "cpu", null, "0-1", "ready", 0.4, 5L * o.WindowSeconds * (window + 1), 0, 0, 20, 35)], 0,
            new OutboxPayload(_buffer.Count, null, 0, 0, 0, 0, null, null), now, new HealthPayload("healthy", null),
            new ThermalPayload(45 + index % 20, "thermal_zone0", 80, 0, 100), new ClockPayload(true), new SecurityPayload(true))
        {
            TimeZone = "UTC", HeartbeatSeconds = o.WindowSeconds, // one heartbeat per window
        };
        await PublishAsync(client, _topics.Heartbeat, JsonSerializer.SerializeToUtf8Bytes(heartbeat, ContractJsonContext.Default.HeartbeatPayload),
            MqttQualityOfServiceLevel.AtMostOnce, retain: false, token).ConfigureAwait(false);
    }

    private byte[] Status(string state, string? reason) => JsonSerializer.SerializeToUtf8Bytes(
        new StatusPayload(state, _id, "sim", state == "online" ? _boot : null, time.GetUtcNow(), reason), ContractJsonContext.Default.StatusPayload);

    private static async Task<MqttClientPublishResult> PublishAsync(IMqttClient client, string topic, byte[] payload, MqttQualityOfServiceLevel qos, bool retain, CancellationToken token)
    {
        var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(qos).WithRetainFlag(retain).WithContentType("application/json").Build(), token).ConfigureAwait(false);
        if (qos != MqttQualityOfServiceLevel.AtMostOnce && !result.IsSuccess)
            throw new InvalidOperationException($"the broker refused {topic}: {result.ReasonCode} {result.ReasonString}");
        return result;
    }

    /// <summary>The broker took a record but had no subscriber for it (MQTT 5 reason 16): with --require-subscriber it is sent again.</summary>
    private sealed class NoSubscriberException(string topic) : Exception($"no subscriber for {topic}");
}

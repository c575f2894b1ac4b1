using System.Buffers;
using System.Text.Json;
using MQTTnet;
using WorkerPool.Contracts;

namespace WorkerPool.Fleet.Ingest;

/// <summary>One message taken off the broker, parsed and checked, waiting for its batch to commit before it is acknowledged.</summary>
internal abstract record Inbound(string DeviceId, DateTime ReceivedAt)
{
    /// <summary>The MQTTnet delivery to acknowledge after the commit (null for QoS 0: nothing to acknowledge).</summary>
    public MqttApplicationMessageReceivedEventArgs? Delivery { get; init; }

    /// <summary>Which broker connection delivered it: only that connection may acknowledge it.</summary>
    public long Generation { get; init; }
}

/// <summary>A count record.</summary>
internal sealed record InboundCount(string DeviceId, DateTime ReceivedAt, CountRecord Record, Guid MessageId) : Inbound(DeviceId, ReceivedAt);

/// <summary>A heartbeat, with its JSON as received (kept whole in the devices table).</summary>
internal sealed record InboundHeartbeat(string DeviceId, DateTime ReceivedAt, HeartbeatPayload Heartbeat, string Json) : Inbound(DeviceId, ReceivedAt);

/// <summary>An online/offline status.</summary>
internal sealed record InboundStatus(string DeviceId, DateTime ReceivedAt, StatusPayload Status) : Inbound(DeviceId, ReceivedAt);

/// <summary>A device's answer on config/reported.</summary>
internal sealed record InboundConfigReport(string DeviceId, DateTime ReceivedAt, ReportedConfig Report) : Inbound(DeviceId, ReceivedAt);

/// <summary>Turns a broker message into an <see cref="Inbound"/>, or says why it is refused.</summary>
internal static class InboundParser
{
    /// <summary>Largest payload accepted; a count record or heartbeat is a few KiB.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    /// <summary>Parses <paramref name="message"/>; null with <paramref name="error"/> set when it cannot be stored.</summary>
    public static Inbound? Parse(string prefix, MqttApplicationMessage message, DateTime receivedAt, out string? error)
    {
        error = null;
        if (!Topics.TryParse(prefix, message.Topic, out string deviceId, out var kind, out string? cameraId))
        {
            error = "not a device topic";
            return null;
        }
        var payload = message.Payload;
        if (payload.Length == 0) { error = "empty payload"; return null; } // a cleared retained message
        if (payload.Length > MaxPayloadBytes) { error = $"payload of {payload.Length} bytes is over {MaxPayloadBytes}"; return null; }
        try
        {
            var reader = new Utf8JsonReader(payload);
            switch (kind)
            {
                case DeviceTopic.Counts:
                {
                    var record = JsonSerializer.Deserialize(ref reader, ContractJsonContext.Default.CountRecord);
                    if (record is null) { error = "null record"; return null; }
                    if (record.DeviceId != deviceId || record.CameraId != cameraId) { error = $"record of {record.DeviceId}/{record.CameraId} on the topic of {deviceId}/{cameraId}"; return null; }
                    if (!Guid.TryParse(record.MessageId, out var id)) { error = $"messageId is not a UUID: {record.MessageId}"; return null; }
                    if (record.Seq < 1) { error = $"seq {record.Seq} is below 1"; return null; }
                    if (record.WindowEnd <= record.WindowStart) { error = "windowEnd is not after windowStart"; return null; }
                    return new InboundCount(deviceId, receivedAt, record, id);
                }
                case DeviceTopic.Heartbeat:
                {
                    var heartbeat = JsonSerializer.Deserialize(ref reader, ContractJsonContext.Default.HeartbeatPayload);
                    if (heartbeat is null || heartbeat.DeviceId != deviceId) { error = "heartbeat of another device"; return null; }
                    return new InboundHeartbeat(deviceId, receivedAt, heartbeat, System.Text.Encoding.UTF8.GetString(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray()));
                }
                case DeviceTopic.Status:
                {
                    var status = JsonSerializer.Deserialize(ref reader, ContractJsonContext.Default.StatusPayload);
                    if (status is null || status.DeviceId != deviceId) { error = "status of another device"; return null; }
                    if (status.State is not ("online" or "offline")) { error = $"unknown state '{status.State}'"; return null; }
                    return new InboundStatus(deviceId, receivedAt, status);
                }
                default:
                {
                    var report = JsonSerializer.Deserialize(ref reader, ContractJsonContext.Default.ReportedConfig);
                    if (report is null || report.Status is null) { error = "not a config report"; return null; }
                    return new InboundConfigReport(deviceId, receivedAt, report);
                }
            }
        }
        catch (JsonException ex)
        {
            error = "bad JSON: " + ex.Message;
            return null;
        }
    }
}

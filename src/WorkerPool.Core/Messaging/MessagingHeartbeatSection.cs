using WorkerPool.Config;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>
/// The heartbeat's identity and link: <c>deviceId</c>, <c>version</c>, <c>bootTime</c> and <c>uptimeSeconds</c> (as the
/// retained status says them), <c>lastPublishAt</c>, when the broker last acknowledged a record, and
/// <c>heartbeatSeconds</c>, when the next heartbeat is due (<c>mqtt</c> is read at start only, so the config's value is
/// the one the publisher runs at).
/// </summary>
public sealed class MessagingHeartbeatSection(DeviceConfig config, BuildInfo build, MqttConnection connection, OutboxPublisher publisher) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        draft.DeviceId = config.DeviceId;
        draft.Version = build.Version;
        draft.BootTime = connection.BootTime;
        draft.UptimeSeconds = Math.Round((draft.Time - connection.BootTime).TotalSeconds, 1);
        draft.LastPublishAt = publisher.LastPublishAt;
        draft.HeartbeatSeconds = config.Mqtt.HeartbeatSeconds;
    }
}

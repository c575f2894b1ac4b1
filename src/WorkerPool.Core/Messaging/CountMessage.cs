using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;
using WorkerPool.Outbox;

namespace WorkerPool.Messaging;

/// <summary>
/// The MQTT message of one stored count record: its payload as stored, QoS 1, on its camera's counts topic, with its
/// <c>messageId</c> and <c>seq</c> as MQTT 5 user properties. The outbox publisher and <c>resend</c> both send exactly
/// this, so a record sent again is the same message.
/// </summary>
public static class CountMessage
{
    /// <summary>The message for <paramref name="entry"/> under <paramref name="topics"/>.</summary>
    public static MqttApplicationMessage Of(OutboxEntry entry, Topics topics) => new MqttApplicationMessageBuilder()
        .WithTopic(topics.Counts(entry.CameraId))
        .WithPayload(Encoding.UTF8.GetBytes(entry.Payload))
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithContentType("application/json")
        .WithUserProperty("messageId", Encoding.UTF8.GetBytes(entry.MessageId).AsMemory())
        .WithUserProperty("seq", Encoding.UTF8.GetBytes(entry.Seq.ToString(CultureInfo.InvariantCulture)).AsMemory())
        .Build();
}

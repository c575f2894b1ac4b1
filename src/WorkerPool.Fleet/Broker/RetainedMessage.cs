using MQTTnet;
using MQTTnet.Protocol;

namespace WorkerPool.Fleet.Broker;

/// <summary>Retained messages the fleet side sets for devices (desired config, desired software).</summary>
internal static class RetainedMessage
{
    /// <summary>Clears what is retained on <paramref name="topic"/>: an empty retained message, which a device reads as "nothing desired".</summary>
    public static async Task ClearAsync(IMqttClient client, string topic, CancellationToken token) =>
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Array.Empty<byte>())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag().Build(), token).ConfigureAwait(false);
}

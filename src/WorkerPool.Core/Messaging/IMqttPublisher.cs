using MQTTnet;
using WorkerPool.Contracts;

namespace WorkerPool.Messaging;

/// <summary>What a sender needs of the device's MQTT session: its topics, and a publish that waits for the broker (see <see cref="MqttConnection.PublishAsync"/>).</summary>
public interface IMqttPublisher
{
    /// <summary>The device's topics.</summary>
    Topics Topics { get; }

    /// <summary>Publishes one message; throws when not connected, and <see cref="TimeoutException"/> when the broker does not take it in time.</summary>
    Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken);
}

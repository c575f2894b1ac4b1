using MQTTnet;

namespace WorkerPool.Messaging;

/// <summary>Handles the messages of one topic filter, subscribed (QoS 1) on every connect. Registered in DI, subscribed by <see cref="MqttService"/>.</summary>
public interface ITopicHandler
{
    /// <summary>The MQTT topic filter (wildcards allowed).</summary>
    string Topic { get; }

    /// <summary>Handles one message; an exception is logged and never takes the session down.</summary>
    Task HandleAsync(MqttApplicationMessage message);
}

using MQTTnet;
using WorkerPool.Fleet.Broker;

namespace WorkerPool.Fleet.Operator;

/// <summary>The device an operator verb talks to, over which broker, signed with which key, waiting how long.</summary>
internal sealed record OperatorTarget(BrokerEndpoint Broker, string Prefix, string Device, FileInfo? SigningKey, TimeSpan Timeout)
{
    /// <summary>The device's topic root, <c>{prefix}/{device}</c>.</summary>
    public string Root => $"{Prefix}/{Device}";

    /// <summary>Client options for one operator connection (a fresh client id: several operators may work at once).</summary>
    public MqttClientOptions ClientOptions() => Broker.Options("operator-" + Guid.NewGuid().ToString("N")[..8]).Build();
}

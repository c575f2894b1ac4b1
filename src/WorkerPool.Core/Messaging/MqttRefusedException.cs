using MQTTnet;

namespace WorkerPool.Messaging;

/// <summary>The broker answered the CONNECT with a refusal (bad credentials, not authorized, banned …).</summary>
public sealed class MqttRefusedException(MqttClientConnectResultCode resultCode, string? reason)
    : Exception($"broker refused the connection: {resultCode}{(string.IsNullOrEmpty(reason) ? "" : " (" + reason + ")")}")
{
    /// <summary>The CONNACK reason code.</summary>
    public MqttClientConnectResultCode ResultCode { get; } = resultCode;
}

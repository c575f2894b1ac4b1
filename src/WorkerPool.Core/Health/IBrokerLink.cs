namespace WorkerPool.Health;

/// <summary>Whether the device can reach its broker now (health's view of the MQTT connection).</summary>
public interface IBrokerLink
{
    /// <summary>True while a session is up in full.</summary>
    bool IsConnected { get; }
}

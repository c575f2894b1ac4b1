namespace WorkerPool.Contracts;

/// <summary>Every MQTT topic the device uses, under <c>{topicPrefix}/{deviceId}/</c>.</summary>
public sealed class Topics(string prefix, string deviceId)
{
    /// <summary><c>{prefix}/{deviceId}</c>.</summary>
    public string Root { get; } = $"{prefix}/{deviceId}";

    /// <summary>Count records of one camera (QoS 1, not retained).</summary>
    public string Counts(string cameraId) => $"{Root}/counts/{cameraId}";

    /// <summary>Online/offline status (QoS 1, retained; the last will sets offline).</summary>
    public string Status => $"{Root}/status";

    /// <summary>Heartbeats (QoS 0, not retained, never queued).</summary>
    public string Heartbeat => $"{Root}/heartbeat";

    /// <summary>Desired config, published retained by the fleet side; the device subscribes.</summary>
    public string ConfigDesired => $"{Root}/config/desired";

    /// <summary>Commands: <c>cmd/{name}</c>, MQTT 5 request/response.</summary>
    public string Commands => $"{Root}/cmd/+";

    /// <summary>The device's answer to the latest desired config (QoS 1, retained).</summary>
    public string ConfigReported => $"{Root}/config/reported";
}

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

    /// <summary>
    /// A reply topic for command requests to this device: under the device's own topics, so a broker ACL that lets a
    /// device write only below <c>{prefix}/{deviceId}/</c> still lets its answers through.
    /// </summary>
    public string Replies(string requester) => $"{Root}/replies/{requester}";

    /// <summary>The device's answer to the latest desired config (QoS 1, retained).</summary>
    public string ConfigReported => $"{Root}/config/reported";

    /// <summary>The release the device should run, published retained by <c>workerpool-fleet rollout</c>; the device subscribes.</summary>
    public string SoftwareDesired => $"{Root}/software/desired";

    /// <summary>Where the device's software stands (QoS 1, retained).</summary>
    public string Software => $"{Root}/software";

    /// <summary>The filter matching one kind of topic on every device under <paramref name="prefix"/> (the fleet side's subscriptions).</summary>
    public static string AllDevices(string prefix, DeviceTopic kind) => kind switch
    {
        DeviceTopic.Counts => $"{prefix}/+/counts/+",
        DeviceTopic.Status => $"{prefix}/+/status",
        DeviceTopic.Heartbeat => $"{prefix}/+/heartbeat",
        DeviceTopic.ConfigReported => $"{prefix}/+/config/reported",
        DeviceTopic.Software => $"{prefix}/+/software",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// Reads a device topic under <paramref name="prefix"/>: which device, which kind and, for counts, which camera.
    /// False for anything else (another prefix, an unknown kind, empty or wildcard levels).
    /// </summary>
    public static bool TryParse(string prefix, string topic, out string deviceId, out DeviceTopic kind, out string? cameraId)
    {
        deviceId = ""; kind = default; cameraId = null;
        if (!topic.StartsWith(prefix + "/", StringComparison.Ordinal)) return false;
        var levels = topic[(prefix.Length + 1)..].Split('/');
        if (levels.Any(l => l.Length == 0 || l.Contains('+') || l.Contains('#'))) return false;
        deviceId = levels[0];
        switch (levels.Length)
        {
            case 2 when levels[1] == "status": kind = DeviceTopic.Status; return true;
            case 2 when levels[1] == "heartbeat": kind = DeviceTopic.Heartbeat; return true;
            case 2 when levels[1] == "software": kind = DeviceTopic.Software; return true;
            case 3 when levels[1] == "counts": kind = DeviceTopic.Counts; cameraId = levels[2]; return true;
            case 3 when levels[1] == "config" && levels[2] == "reported": kind = DeviceTopic.ConfigReported; return true;
            default: return false;
        }
    }
}

/// <summary>The device topics the fleet side reads.</summary>
public enum DeviceTopic
{
    /// <summary><c>counts/{cameraId}</c>: count records (QoS 1).</summary>
    Counts,
    /// <summary><c>status</c>: online/offline (retained, last will).</summary>
    Status,
    /// <summary><c>heartbeat</c>: periodic health (QoS 0).</summary>
    Heartbeat,
    /// <summary><c>config/reported</c>: the answer to a desired config.</summary>
    ConfigReported,
    /// <summary><c>software</c>: where the device's software stands (retained).</summary>
    Software,
}

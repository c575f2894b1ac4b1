namespace WorkerPool.Diagnostics;

/// <summary>The log categories operators filter on (one per component, not one per class), as in <c>WorkerPool.Mqtt[5000]</c>.</summary>
public static class LogCategories
{
    /// <summary>The MQTT connection, the outbox publisher and the heartbeat.</summary>
    public const string Mqtt = "WorkerPool.Mqtt";

    /// <summary>Tracking and counting: every line crossing at Debug (troubleshooting a line's placement).</summary>
    public const string Counting = "WorkerPool.Counting";

    /// <summary>The outbox.</summary>
    public const string Outbox = "WorkerPool.Outbox";

    /// <summary>Health, the watchdog, the LED and thermal throttling.</summary>
    public const string Health = "WorkerPool.Health";

    /// <summary>Remote commands.</summary>
    public const string Commands = "WorkerPool.Commands";

    /// <summary>Remote configuration.</summary>
    public const string RemoteConfig = "WorkerPool.RemoteConfig";

    /// <summary>Remote software updates: desired releases, the update helper's progress.</summary>
    public const string Software = "WorkerPool.Software";
}

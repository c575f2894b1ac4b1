using WorkerPool.Contracts;

namespace WorkerPool.Diagnostics;

/// <summary>
/// A heartbeat being assembled: each <see cref="IHeartbeatSection"/> fills its parts, then <see cref="ToPayload"/>
/// makes the wire record. A part no section wrote is a wiring fault and is named, rather than sent as a default
/// that would read as a real value.
/// </summary>
/// <param name="time">When the heartbeat is taken: every section measures against this one moment.</param>
public sealed class HeartbeatDraft(DateTimeOffset time)
{
    /// <summary>When the heartbeat is taken.</summary>
    public DateTimeOffset Time { get; } = time;

    /// <summary>Device id.</summary>
    public string? DeviceId { get; set; }

    /// <summary>Build version.</summary>
    public string? Version { get; set; }

    /// <summary>The config in effect: <c>{appliedVersion}:{first 12 hex of effectiveHash}</c> (docs/TELEMETRY.md, "configVersion").</summary>
    public string? ConfigVersion { get; set; }

    /// <summary>When the service started.</summary>
    public DateTimeOffset? BootTime { get; set; }

    /// <summary>Seconds since <see cref="BootTime"/>.</summary>
    public double? UptimeSeconds { get; set; }

    /// <summary>Host health.</summary>
    public SystemPayload? System { get; set; }

    /// <summary>Every camera.</summary>
    public IReadOnlyList<CameraPayload>? Cameras { get; set; }

    /// <summary>Every inference worker.</summary>
    public IReadOnlyList<WorkerPayload>? Workers { get; set; }

    /// <summary>Frames waiting for a worker.</summary>
    public int? PoolQueueDepth { get; set; }

    /// <summary>The store-and-forward backlog.</summary>
    public OutboxPayload? Outbox { get; set; }

    /// <summary>When the broker last acknowledged a record; null until one was (so it cannot tell a missing section).</summary>
    public DateTimeOffset? LastPublishAt { get; set; }

    /// <summary>The health verdict.</summary>
    public HealthPayload? Health { get; set; }

    /// <summary>Thermal throttling.</summary>
    public ThermalPayload? Thermal { get; set; }

    /// <summary>The wall clock's state.</summary>
    public ClockPayload? Clock { get; set; }

    /// <summary>Whether configs and commands are verified.</summary>
    public SecurityPayload? Security { get; set; }

    /// <summary>The device's IANA time zone id.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Seconds between heartbeats.</summary>
    public int? HeartbeatSeconds { get; set; }

    /// <summary>The device's group, for rollout selectors.</summary>
    public string? Group { get; set; }

    /// <summary>The device's tags, for rollout selectors.</summary>
    public IReadOnlyList<string>? Tags { get; set; }

    /// <summary>Where the device's software stands.</summary>
    public SoftwareState? Software { get; set; }

    /// <summary>The heartbeat. Throws <see cref="InvalidOperationException"/> naming the parts no section wrote.</summary>
    public HeartbeatPayload ToPayload()
    {
        var missing = new (string Name, bool Written)[]
        {
            ("deviceId", DeviceId is not null), ("version", Version is not null), ("configVersion", ConfigVersion is not null),
            ("bootTime", BootTime is not null), ("uptimeSeconds", UptimeSeconds is not null), ("system", System is not null),
            ("cameras", Cameras is not null), ("workers", Workers is not null), ("poolQueueDepth", PoolQueueDepth is not null),
            ("outbox", Outbox is not null), ("health", Health is not null), ("thermal", Thermal is not null),
            ("clock", Clock is not null), ("security", Security is not null), ("timeZone", TimeZone is not null),
            ("heartbeatSeconds", HeartbeatSeconds is not null),
        }.Where(p => !p.Written).Select(p => p.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"No heartbeat section wrote {string.Join(", ", missing)}: is every feature's Add…() registered?");
        return new HeartbeatPayload(DeviceId!, Time, Version!, ConfigVersion!, BootTime!.Value, UptimeSeconds!.Value, System!, Cameras!, Workers!,
            PoolQueueDepth!.Value, Outbox!, LastPublishAt, Health!, Thermal!, Clock!, Security!)
        {
            TimeZone = TimeZone, HeartbeatSeconds = HeartbeatSeconds!.Value, Group = Group, Tags = Tags, Software = Software,
        };
    }
}

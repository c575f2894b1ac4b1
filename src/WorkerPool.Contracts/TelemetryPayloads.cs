using System.Text.Json.Serialization;

namespace WorkerPool.Contracts;

/// <summary>The retained status message: <c>online</c> on connect, <c>offline</c> from the last will or a clean shutdown.</summary>
public sealed record StatusPayload(
    string State,
    string DeviceId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Version,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? BootTime,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Time,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason)
{
    /// <summary>
    /// The device's IANA time zone id (<c>Europe/Berlin</c>; <c>Etc/UTC</c> or <c>UTC</c> when none is set), for rolling
    /// UTC count windows up into local hours and days. In every status, the last will included. Absent from firmware
    /// older than the field.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TimeZone { get; init; }

    /// <summary>
    /// When the device sent the CONNECT of the MQTT session this status belongs to, by its own clock. The last will is
    /// handed to the broker at that moment, so it can say no later time: when a device vanished is when the broker
    /// published its will (receive time) less up to 1.5 x <c>mqtt.keepAliveSeconds</c>. Absent from older firmware.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? ConnectedAt { get; init; }
}

/// <summary>The periodic heartbeat: the device's whole health at one moment.</summary>
public sealed record HeartbeatPayload(
    string DeviceId,
    DateTimeOffset Time,
    string Version,
    string ConfigVersion,
    DateTimeOffset BootTime,
    double UptimeSeconds,
    SystemPayload System,
    IReadOnlyList<CameraPayload> Cameras,
    IReadOnlyList<WorkerPayload> Workers,
    int PoolQueueDepth,
    OutboxPayload Outbox,
    DateTimeOffset? LastPublishAt,
    HealthPayload Health,
    ThermalPayload Thermal,
    ClockPayload Clock,
    SecurityPayload Security)
{
    /// <summary>
    /// The device's IANA time zone id (<c>Europe/Berlin</c>; <c>Etc/UTC</c> or <c>UTC</c> when none is set): count windows are UTC, and
    /// this is the zone to roll them up into local hours and days with. Absent from firmware older than the field.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TimeZone { get; init; }

    /// <summary>
    /// Seconds between heartbeats (<c>mqtt.heartbeatSeconds</c>): a consumer knows when the next one is overdue. 0 from
    /// firmware older than the field.
    /// </summary>
    public int HeartbeatSeconds { get; init; }

    /// <summary>The device's group (<c>fleet.group</c>), which rollouts select by; null when none is set.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Group { get; init; }

    /// <summary>The device's tags (<c>fleet.tags</c>), which rollouts select by; empty when none are set. Absent from older firmware.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Where the device's software stands, as on the retained <c>software</c> topic. Absent from older firmware.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SoftwareState? Software { get; init; }
}

/// <summary>The device's wall clock: count windows closed while it is not synchronised carry <c>clockSynced: false</c>.</summary>
public sealed record ClockPayload(bool Synchronized);

/// <summary>Whether desired configs and commands must be signed with the fleet key (false: anyone who can publish to the device's topics configures it).</summary>
public sealed record SecurityPayload(bool Verified);

/// <summary>The health verdict (the same one the watchdog, the health file and the status LED follow).</summary>
public sealed record HealthPayload(
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

/// <summary>Thermal throttling: the watched temperature and how far camera sampling is lowered.</summary>
public sealed record ThermalPayload(
    double? Celsius,
    string? Zone,
    double ThrottleCelsius,
    int Level,
    int SamplingPercent);

/// <summary>Host health.</summary>
public sealed record SystemPayload(
    double? Load1,
    int CpuCount,
    long ProcessRssBytes,
    long? DiskFreeBytes,
    IReadOnlyList<TemperaturePayload> Temperatures);

/// <summary>One thermal zone from /sys/class/thermal.</summary>
public sealed record TemperaturePayload(string Zone, string Type, double Celsius);

/// <summary>
/// One camera. Besides its connection and frame counters, what tells a dead or covered camera from an empty room:
/// whether inference runs on its frames (<see cref="FramesProcessed"/>), when it last saw a person
/// (<see cref="LastDetectionAt"/>), and whether its picture is frozen (<see cref="FrozenSeconds"/>) or near-uniform
/// (<see cref="PictureUniform"/>).
/// </summary>
public sealed record CameraPayload(
    string Id,
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastError,
    double MeasuredFps,
    double TargetFps,
    long FramesRead,
    long FramesAdmitted,
    long FramesSkipped,
    long FramesLost)
{
    /// <summary>Frames of this camera inference ran on (not failed, not dropped), since its pipeline started.</summary>
    public long FramesProcessed { get; init; }

    /// <summary>
    /// Capture time of the last frame in which the detector found a person (a box scoring at least 0.5, the default <c>tracker.highThreshold</c>: weaker ones kept for the tracker do not count),
    /// since the camera's pipeline started; null when none has been found since.
    /// </summary>
    public DateTimeOffset? LastDetectionAt { get; init; }

    /// <summary>
    /// Seconds the picture had not changed at the latest check (about once a second, a small grey sample of the frame);
    /// 0 when it changed since the one before. Null until the current connection delivered two checked frames.
    /// </summary>
    public double? FrozenSeconds { get; init; }

    /// <summary>
    /// The latest check found a near-uniform picture: a covered or blocked lens, a black or blank stream, or darkness.
    /// Null until the current connection delivered a checked frame.
    /// </summary>
    public bool? PictureUniform { get; init; }
}

/// <summary>One inference worker.</summary>
public sealed record WorkerPayload(
    int Index,
    string Device,
    string ActiveDevice,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FallbackReason,
    string Cores,
    string State,
    double BusyFraction,
    long Processed,
    long Failed,
    long Replacements,
    double LatencyP50Ms,
    double LatencyP99Ms);

/// <summary>The store-and-forward backlog, and every record that will never arrive.</summary>
public sealed record OutboxPayload(
    long Backlog,
    double? OldestAgeSeconds,
    long Bytes,
    long DroppedByRetention,
    int PendingInMemory,
    long LostUnstored,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastError,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Quarantined)
{
    /// <summary>
    /// The seq ranges per camera the device knows are gone for good (dropped by retention, lost before storage), the
    /// most recent first and bounded: the fleet side counts a gap inside one as explained. Absent when there are none.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LossRange>? Losses { get; init; }
}

/// <summary>Records of one camera, <paramref name="FromSeq"/> to <paramref name="ToSeq"/> inclusive, that will never be published.</summary>
/// <param name="Camera">Camera id.</param>
/// <param name="FromSeq">First seq of the range.</param>
/// <param name="ToSeq">Last seq of the range.</param>
/// <param name="Reason"><c>retention</c> (stored, then dropped by the outbox limits) or <c>unstored</c> (lost before storage).</param>
public sealed record LossRange(string Camera, long FromSeq, long ToSeq, string Reason);

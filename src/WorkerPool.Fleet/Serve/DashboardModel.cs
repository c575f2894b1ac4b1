using System.Text.Json.Serialization;

namespace WorkerPool.Fleet.Serve;

/// <summary>One row of the fleet table.</summary>
internal sealed record DeviceRow(string Device, string? Status, string? StatusReason, DateTime? StatusAt, double? HeartbeatAgeSeconds, string? Health,
    string? HealthReason, double? TemperatureC, int? ThermalLevel, long? OutboxBacklog, long? OutboxBacklogPrev, string? ConfigVersion,
    long? DroppedByRetention, string? Version, IReadOnlyList<CameraState> Cameras);

/// <summary>A camera's state from the device's latest heartbeat.</summary>
internal sealed record CameraState(string Id, string State, string? LastError);

/// <summary>Per device: what the ledger says about its records.</summary>
internal sealed record DeviceCompleteness(string Device, int Cameras, long Records, int UnexplainedGaps, long UnexplainedMissing, int ExplainedGaps);

/// <summary>A chart series: one line of one camera (or one zone), with its points.</summary>
internal sealed record Series(string Name, IReadOnlyList<SeriesPoint> Points);

/// <summary>One point: bucket start and value.</summary>
internal sealed record SeriesPoint(DateTime T, double V);

/// <summary>Something an operator should look at.</summary>
/// <param name="Kind">offline, stale-heartbeat, backlog-growing, dropped-by-retention, camera-reconnecting, unexplained-gap.</param>
internal sealed record Alert(string Kind, string Device, string? Camera, string Detail)
{
    /// <summary>What makes two alerts the same alert (the detail changes as it goes on).</summary>
    [JsonIgnore]
    public string Key => $"{Kind}|{Device}|{Camera}";
}

/// <summary>Source-generated JSON for the dashboard's API and the webhook.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IReadOnlyList<DeviceRow>))]
[JsonSerializable(typeof(IReadOnlyList<DeviceCompleteness>))]
[JsonSerializable(typeof(IReadOnlyList<Series>))]
[JsonSerializable(typeof(IReadOnlyList<Alert>))]
[JsonSerializable(typeof(IReadOnlyList<Report.RolloutReport>))]
[JsonSerializable(typeof(AlertNotice))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;

/// <summary>What the webhook receives for each alert that starts or ends.</summary>
internal sealed record AlertNotice(string State, Alert Alert, DateTime Time);

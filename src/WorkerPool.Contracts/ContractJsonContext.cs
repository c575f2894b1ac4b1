using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkerPool.Contracts;

/// <summary>
/// Source-generated JSON for every payload on the wire (trim-safe): camelCase, ISO-8601 times. The device writes
/// with it and the fleet side reads with it, so both agree by construction.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CountRecord))]
[JsonSerializable(typeof(StatusPayload))]
[JsonSerializable(typeof(HeartbeatPayload))]
[JsonSerializable(typeof(ReportedConfig))]
[JsonSerializable(typeof(SoftwareDesired))]
[JsonSerializable(typeof(SoftwareState))]
[JsonSerializable(typeof(IReadOnlyList<ConfigError>))]
public sealed partial class ContractJsonContext : JsonSerializerContext
{
    /// <summary>Serializes a count record to compact JSON.</summary>
    public static string Serialize(CountRecord record) => JsonSerializer.Serialize(record, Default.CountRecord);
}

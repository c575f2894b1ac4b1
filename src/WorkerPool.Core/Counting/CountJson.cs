using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkerPool.Counting;

/// <summary>Source-generated JSON for count records (trim-safe): camelCase, ISO-8601 UTC times.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CountRecord))]
public sealed partial class CountJsonContext : JsonSerializerContext
{
    /// <summary>Serializes a record to compact JSON.</summary>
    public static string Serialize(CountRecord record) => JsonSerializer.Serialize(record, Default.CountRecord);
}

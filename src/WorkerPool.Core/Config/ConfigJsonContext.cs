using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkerPool.Config;

/// <summary>Source-generated JSON metadata for config files (trim-safe, no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true)]
[JsonSerializable(typeof(DeviceConfig))]
[JsonSerializable(typeof(ModelManifest))]
[JsonSerializable(typeof(OutboxOptions))]
[JsonSerializable(typeof(MqttOptions))]
[JsonSerializable(typeof(SecurityOptions))]
[JsonSerializable(typeof(StatusLedOptions))]
[JsonSerializable(typeof(FleetOptions))]
[JsonSerializable(typeof(UpdatesOptions))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;

using System.Text.Json;
using WorkerPool.Contracts;

namespace WorkerPool.Config;

/// <summary>Reads device configs and model manifests from JSON, naming the path of any syntax or type error.</summary>
public static class ConfigLoader
{
    /// <summary>Largest config file accepted; anything bigger is not a hand-written config.</summary>
    public const int MaxConfigBytes = 1 << 20;

    /// <summary>Parses a device config file without semantic validation.</summary>
    public static DeviceConfig Load(string file)
    {
        if (!File.Exists(file)) throw new ConfigException([new ConfigError("$", $"config file '{file}' does not exist")]);
        if (new FileInfo(file).Length > MaxConfigBytes)
            throw new ConfigException([new ConfigError("$", $"config file is larger than {MaxConfigBytes} bytes")]);
        var config = Parse(File.ReadAllText(file));
        config.BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        // Secrets and certificates are opened later, far from the config: make their paths absolute now.
        if (config.Mqtt is { } mqtt)
        {
            mqtt.PasswordFile = Resolve(config, mqtt.PasswordFile);
            if (mqtt.Tls is { } tls)
            {
                tls.CaFile = Resolve(config, tls.CaFile);
                tls.CertFile = Resolve(config, tls.CertFile);
                tls.KeyFile = Resolve(config, tls.KeyFile);
            }
        }
        foreach (var camera in config.Cameras ?? [])
            if (camera is not null) camera.PasswordFile = Resolve(config, camera.PasswordFile);
        return config;
    }

    private static string? Resolve(DeviceConfig config, string? path) => string.IsNullOrEmpty(path) ? path : config.ResolvePath(path);

    /// <summary>Parses config JSON text.</summary>
    public static DeviceConfig Parse(string json) =>
        Deserialize(json, ConfigJsonContext.Default.DeviceConfig, "config");

    /// <summary>Reads a model manifest.</summary>
    public static ModelManifest LoadManifest(string file) =>
        Deserialize(File.ReadAllText(file), ConfigJsonContext.Default.ModelManifest, "manifest");

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static T Deserialize<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, string what)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, DocumentOptions); }
        catch (JsonException ex)
        {
            throw new ConfigException([new ConfigError("$", $"invalid {what} JSON at {TextPosition.Describe(json, ex.LineNumber, ex.BytePositionInLine)}: {JsonMessages.WithoutPosition(ex.Message)}")]);
        }
        using (doc)
        {
            // Unknown fields and wrong types, all of them and in the config's words, before binding.
            if (ConfigShape.Check(doc.RootElement, info, what) is { Count: > 0 } shape) throw new ConfigException(shape);
            try
            {
                return doc.RootElement.Deserialize(info)
                    ?? throw new ConfigException([new ConfigError("$", $"{what} is null")]);
            }
            catch (JsonException ex)
            {
                // What the shape check does not foresee: System.Text.Json's words, its .NET type names turned into JSON's.
                string path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
                throw new ConfigException([new ConfigError(path, $"invalid {what} JSON: {JsonMessages.InJsonTerms(JsonMessages.WithoutPosition(ex.Message))}")]);
            }
        }
    }
}

using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using WorkerPool.Config;
using WorkerPool.Contracts;

namespace WorkerPool.Inference;

/// <summary>A model ready to load: its manifest and the verified file path.</summary>
public sealed record ModelInfo(ModelManifest Manifest, string Path);

/// <summary>Finds, verifies (SHA-256) and inspects the configured model so a bad one stops the service at start.</summary>
public static class ModelInspector
{
    /// <summary>Known output formats.</summary>
    public static readonly string[] Formats = ["yolox", "yolov8"];

    /// <summary>Resolves the model of a valid config (throws <see cref="ConfigException"/> when it cannot).</summary>
    public static ModelInfo Resolve(DeviceConfig config, string? modelPathOverride = null)
    {
        var errors = new List<ConfigError>();
        var info = Check(config, errors, modelPathOverride);
        if (errors.Count > 0 || info is null) throw new ConfigException(errors);
        return info;
    }

    /// <summary>Adds model errors to <paramref name="errors"/>; returns the model when it is usable.</summary>
    public static ModelInfo? Check(DeviceConfig config, List<ConfigError> errors, string? modelPathOverride = null)
    {
        string manifestPath = config.ResolvePath(config.Model.Manifest);
        if (!File.Exists(manifestPath)) { errors.Add(new("model.manifest", $"manifest '{manifestPath}' does not exist")); return null; }
        ModelManifest manifest;
        try { manifest = ConfigLoader.LoadManifest(manifestPath); }
        catch (ConfigException ex) { errors.AddRange(ex.Errors.Select(e => e with { Path = "model.manifest" })); return null; }

        int before = errors.Count;
        if (!Formats.Contains(manifest.Format)) errors.Add(new("model.manifest", $"unknown format '{manifest.Format}' (expected {string.Join(" or ", Formats)})"));
        if (manifest.InputWidth is < 32 or > 4096 || manifest.InputWidth % 32 != 0) errors.Add(new("model.manifest", "inputWidth must be a multiple of 32"));
        if (manifest.InputHeight is < 32 or > 4096 || manifest.InputHeight % 32 != 0) errors.Add(new("model.manifest", "inputHeight must be a multiple of 32"));
        if (manifest.NumClasses < 1 || manifest.PersonClass < 0 || manifest.PersonClass >= manifest.NumClasses) errors.Add(new("model.manifest", "personClass must be within numClasses"));
        if (manifest.ChannelOrder is not ("bgr" or "rgb")) errors.Add(new("model.manifest", "channelOrder must be bgr or rgb"));
        if (manifest.Letterbox is not ("top-left" or "center")) errors.Add(new("model.manifest", "letterbox must be top-left or center"));
        if (errors.Count > before) return null;

        string path = modelPathOverride ?? (config.Model.Path is { Length: > 0 } p ? config.ResolvePath(p)
            : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(manifestPath)!, manifest.File));
        string pathField = config.Model.Path is { Length: > 0 } || modelPathOverride is not null ? "model.path" : "model.manifest";
        if (!File.Exists(path))
        {
            errors.Add(new(pathField, $"model file '{path}' does not exist (run deploy-scripts/fetch-model.sh)"));
            return null;
        }
        string hash = Sha256OfCached(path);
        if (!string.Equals(hash, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new(pathField, $"model file '{path}' has sha256 {hash}, the manifest expects {manifest.Sha256}"));
            return null;
        }
        // Opening a session for the check costs native memory that malloc keeps: do it once per model and manifest,
        // not at every remote config change (each one is validated with its model).
        string shapeKey = $"{hash}|{manifest.Format}|{manifest.InputWidth}x{manifest.InputHeight}|{manifest.NumClasses}";
        string? shapeError = ShapeVerdicts.GetOrAdd(shapeKey, _ => CheckShapes(path, manifest));
        if (shapeError is not null) { errors.Add(new(pathField, shapeError)); return null; }
        return new ModelInfo(manifest, path);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> ShapeVerdicts = new(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Hashes = new();

    /// <summary>The file's SHA-256, hashed again only when its path, length or modification time changed.</summary>
    private static string Sha256OfCached(string path)
    {
        var file = new FileInfo(path);
        return Hashes.GetOrAdd((file.FullName, file.Length, file.LastWriteTimeUtc), _ => Sha256Of(path));
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Opens the model and checks its input and output shapes against the manifest; null when they fit.</summary>
    public static string? CheckShapes(string path, ModelManifest manifest)
    {
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(path, options);
            if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count < 1)
                return $"model must have one input and at least one output, has {session.InputMetadata.Count} and {session.OutputMetadata.Count}";
            var input = session.InputMetadata.First().Value.Dimensions;
            if (input.Length != 4 || !Fits(input[1], 3) || !Fits(input[2], manifest.InputHeight) || !Fits(input[3], manifest.InputWidth))
                return $"model input shape [{string.Join(",", input)}] does not fit 1x3x{manifest.InputHeight}x{manifest.InputWidth}";
            var output = session.OutputMetadata.First().Value.Dimensions;
            return ExpectedOutput(manifest) is var (rows, cols) && output.Length == 3 && Fits(output[1], rows) && Fits(output[2], cols)
                ? null
                : $"model output shape [{string.Join(",", output)}] does not fit format '{manifest.Format}' (expected 1x{ExpectedOutput(manifest).Rows}x{ExpectedOutput(manifest).Cols})";
        }
        catch (OnnxRuntimeException ex)
        {
            return $"model cannot be loaded by ONNX Runtime: {ex.Message}";
        }
    }

    /// <summary>Output shape (dims 1 and 2) a format produces for the manifest's input size.</summary>
    public static (int Rows, int Cols) ExpectedOutput(ModelManifest m)
    {
        int cells = YoloxDecoder.RowCount(m.InputWidth, m.InputHeight);
        return m.Format == "yolov8" ? (4 + m.NumClasses, cells) : (cells, 5 + m.NumClasses);
    }

    /// <summary>Builds the output decoder a manifest names.</summary>
    public static IOutputDecoder CreateDecoder(ModelManifest m) => m.Format == "yolov8"
        ? new Yolov8Decoder(m.NumClasses, m.PersonClass)
        : new YoloxDecoder(m.InputWidth, m.InputHeight, m.NumClasses, m.PersonClass);

    private static bool Fits(long dim, int expected) => dim <= 0 || dim == expected;
}

using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using WorkerPool.Diagnostics;

namespace WorkerPool.Inference;

/// <summary>
/// ONNX Runtime person detector: letterbox into a reused input tensor, run into a reused output tensor, decode, NMS.
/// Nothing is allocated per frame in steady state.
/// </summary>
public sealed class OnnxDetector : IDetector
{
    private readonly InferenceSession _session;
    private readonly Letterbox _letterbox;
    private readonly IOutputDecoder _decoder;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly OrtValue _inputValue, _outputValue;
    private readonly string[] _inputNames, _outputNames;
    private readonly OrtValue[] _inputValues, _outputValues;
    private readonly RunOptions _runOptions = new();
    private readonly DetectionThresholds _thresholds;

    /// <summary>Loads the model for one worker.</summary>
    public OnnxDetector(ModelInfo model, ExecutionDevice device, int threads, float minScore, float nmsThreshold, ILogger logger)
        : this(model, device, threads, new DetectionThresholds(minScore, nmsThreshold), logger)
    {
    }

    /// <summary>Loads the model for one worker, reading thresholds that can change at run time; TensorRT engines are cached in <paramref name="engineCachePath"/>.</summary>
    public OnnxDetector(ModelInfo model, ExecutionDevice device, int threads, DetectionThresholds thresholds, ILogger logger, string? engineCachePath = null)
    {
        var m = model.Manifest;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, threads),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        (ActiveDevice, FallbackReason) = AppendProvider(options, device, engineCachePath);
        if (FallbackReason is not null) Log.DeviceFallback(logger, device.ToString(), FallbackReason);
        _session = new InferenceSession(model.Path, options);

        _letterbox = new Letterbox(m);
        _decoder = ModelInspector.CreateDecoder(m);
        _input = new float[_letterbox.TensorLength];
        var (rows, cols) = ModelInspector.ExpectedOutput(m);
        _output = new float[rows * cols];
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, 3, m.InputHeight, m.InputWidth]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_output, [1, rows, cols]);
        _inputNames = [_session.InputMetadata.Keys.First()];
        _outputNames = [_session.OutputMetadata.Keys.First()];
        _inputValues = [_inputValue];
        _outputValues = [_outputValue];
        _thresholds = thresholds;
    }

    /// <inheritdoc />
    public string ActiveDevice { get; }

    /// <inheritdoc />
    public string? FallbackReason { get; }

    /// <summary>The reused input tensor (for benchmarks that feed pre-made tensors).</summary>
    internal float[] InputTensor => _input;

    /// <summary>Runs the network on whatever is in <see cref="InputTensor"/>.</summary>
    internal void RunRaw() => _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);

    /// <inheritdoc />
    public void Detect(Mat frame, List<Detection> into)
    {
        into.Clear();
        var lb = _letterbox.Apply(frame, _input);
        RunRaw();
        _decoder.Decode(_output, lb, _thresholds.MinScore, into);
        Nms.Apply(into, _thresholds.Nms);
    }

    /// <inheritdoc />
    /// <remarks>ONNX Runtime checks <see cref="RunOptions.Terminate"/> between kernels and ends the run with an error.</remarks>
    public void Abort() => _runOptions.Terminate = true;

    private static (string Active, string? Fallback) AppendProvider(SessionOptions options, ExecutionDevice device, string? engineCachePath)
    {
        if (device.ProviderName is not { } provider) return ("cpu", null);
        // The NuGet CPU build lists only the CPU provider; a JetPack build lists CUDA and TensorRT.
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(provider))
            return ("cpu", $"{provider} is not in this ONNX Runtime build; running on CPU");
        try
        {
            if (device.Kind == DeviceKind.TensorRt) AppendTensorRt(options, device.Index, engineCachePath);
            // CUDA after TensorRT: nodes TensorRT cannot take run on CUDA rather than on the CPU.
            options.AppendExecutionProvider_CUDA(device.Index);
            return (device.ToString(), null);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return ("cpu", $"{provider} failed to start ({ex.Message}); running on CPU");
        }
    }

    private static void AppendTensorRt(SessionOptions options, int deviceIndex, string? engineCachePath)
    {
        using var trt = new OrtTensorRTProviderOptions();
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = deviceIndex.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = "1",
        };
        if (engineCachePath is { Length: > 0 })
        {
            // Building an engine takes minutes on a Jetson; the cache makes every later start take seconds.
            Directory.CreateDirectory(engineCachePath);
            settings["trt_engine_cache_enable"] = "1";
            settings["trt_engine_cache_path"] = engineCachePath;
            settings["trt_timing_cache_enable"] = "1";
            settings["trt_timing_cache_path"] = engineCachePath;
        }
        trt.UpdateOptions(settings);
        options.AppendExecutionProvider_Tensorrt(trt);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _inputValue.Dispose();
        _outputValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _letterbox.Dispose();
    }
}

/// <summary>Creates <see cref="OnnxDetector"/>s for a verified model; all of them read the same <see cref="Thresholds"/>.</summary>
public sealed class OnnxDetectorFactory(ModelInfo model, float minScore, float nmsThreshold, ILogger logger, string? engineCachePath = null) : IDetectorFactory
{
    /// <summary>A factory with the thresholds of a config's <c>model</c> section and its TensorRT engine cache (default: in the data directory).</summary>
    public OnnxDetectorFactory(ModelInfo model, Config.DeviceConfig config, ILogger logger)
        : this(model, (float)config.Model.ScoreThreshold, (float)config.Model.NmsThreshold, logger,
            config.ResolvePath(config.Model.EngineCachePath ?? Path.Combine(config.DataDirectory, "tensorrt-cache")))
    {
    }

    /// <summary>Score and NMS thresholds shared by every worker; a remote config changes them in place.</summary>
    public DetectionThresholds Thresholds { get; } = new(minScore, nmsThreshold);

    /// <inheritdoc />
    public IDetector Create(ExecutionDevice device, int threads) => new OnnxDetector(model, device, threads, Thresholds, logger, engineCachePath);
}

/// <summary>Detection thresholds read by the workers at every frame, so they can change without reloading models.</summary>
public sealed class DetectionThresholds(float minScore, float nms)
{
    private float _minScore = minScore, _nms = nms;

    /// <summary>Lowest score kept.</summary>
    public float MinScore { get => Volatile.Read(ref _minScore); set => Volatile.Write(ref _minScore, value); }

    /// <summary>NMS IoU threshold.</summary>
    public float Nms { get => Volatile.Read(ref _nms); set => Volatile.Write(ref _nms, value); }
}

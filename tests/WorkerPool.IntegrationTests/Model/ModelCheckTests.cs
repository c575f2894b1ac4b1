using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Inference;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Model;

public sealed class ModelCheckTests : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>A config whose manifest (a copy of the real one, edited) sits in the temp dir beside <paramref name="modelFile"/>.</summary>
    private DeviceConfig ConfigWith(Func<string, string> editManifest, string? modelFile = null)
    {
        File.WriteAllText(_dir.File("model.json"), editManifest(File.ReadAllText(Repo.Manifest)));
        if (modelFile is not null) File.Copy(modelFile, _dir.File("yolox_nano.onnx"), overwrite: true);
        var config = ConfigLoader.Parse("""{ "deviceId": "d", "cameras": [ { "id": "c", "url": "x.avi" } ] }""");
        config.BaseDirectory = _dir.Path;
        config.Model.Manifest = "model.json";
        return config;
    }

    private static ConfigError SingleError(DeviceConfig config)
    {
        var errors = DeviceConfigValidator.Validate(config);
        return Assert.Single(errors);
    }

    [Fact]
    public void Validate_RealModelBesideItsManifest_IsAccepted()
    {
        var config = ConfigWith(m => m, Repo.Model);
        Assert.Empty(DeviceConfigValidator.Validate(config));
        Assert.Equal("yolox", ModelInspector.Resolve(config).Manifest.Format);
    }

    [Fact]
    public void Validate_MissingModelFile_SaysHowToFetchIt()
    {
        var error = SingleError(ConfigWith(m => m));
        Assert.Equal("model.manifest", error.Path);
        Assert.Contains("does not exist (run deploy-scripts/fetch-model.sh)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingManifest_IsNamed()
    {
        var config = ConfigWith(m => m);
        config.Model.Manifest = "nope.json";
        Assert.Equal("model.manifest", SingleError(config).Path);
    }

    [Fact]
    public void Validate_ModelWithOtherBytes_IsAHashMismatch()
    {
        File.WriteAllBytes(_dir.File("tampered.onnx"), [.. File.ReadAllBytes(Repo.Model).Take(1000)]);
        var error = SingleError(ConfigWith(m => m, _dir.File("tampered.onnx")));
        Assert.Contains("has sha256", error.Message, StringComparison.Ordinal);
        Assert.Contains("manifest expects 695e750a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OutputShapeThatDoesNotFitTheFormat_IsRejected()
    {
        // The YOLOX model described as a YOLOv8 export: 1x3549x85 is not 1x84x3549.
        var error = SingleError(ConfigWith(m => m.Replace("\"format\": \"yolox\"", "\"format\": \"yolov8\"", StringComparison.Ordinal), Repo.Model));
        Assert.Contains("does not fit format 'yolov8'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_InputSizeThatDoesNotFitTheModel_IsRejected()
    {
        var error = SingleError(ConfigWith(m => m.Replace("\"inputWidth\": 416", "\"inputWidth\": 640", StringComparison.Ordinal), Repo.Model));
        Assert.Contains("input shape", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownFormat_IsRejected()
    {
        var error = SingleError(ConfigWith(m => m.Replace("\"format\": \"yolox\"", "\"format\": \"ssd\"", StringComparison.Ordinal), Repo.Model));
        Assert.Contains("unknown format 'ssd'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeviceKind.Cuda, "CUDAExecutionProvider")]
    [InlineData(DeviceKind.TensorRt, "TensorrtExecutionProvider")]
    public void Detector_GpuRequestedOnCpuOnlyRuntime_FallsBackToCpuAndSaysWhy(DeviceKind kind, string provider)
    {
        var model = ModelInspector.Resolve(ConfigWith(m => m, Repo.Model));
        using var detector = new OnnxDetector(model, new ExecutionDevice(kind, 0), 1, new DetectionThresholds(0.1f, 0.45f), NullLogger.Instance,
            engineCachePath: Path.Combine(Path.GetTempPath(), "unused-trt-cache"));
        Assert.Equal("cpu", detector.ActiveDevice);
        Assert.Contains(provider, detector.FallbackReason, StringComparison.Ordinal);

        // And it still detects people.
        using var capture = new VideoCapture(Repo.Sample);
        using var frame = new Mat();
        Assert.True(capture.Read(frame));
        var people = new List<Detection>();
        detector.Detect(frame, people);
        Assert.InRange(people.Count(p => p.Score >= 0.5f), 3, 12);
    }

    [Fact]
    public void Detector_SteadyState_AllocatesAlmostNothingPerFrame()
    {
        var model = ModelInspector.Resolve(ConfigWith(m => m, Repo.Model));
        using var detector = new OnnxDetector(model, new ExecutionDevice(DeviceKind.Cpu, 0), 1, 0.1f, 0.45f, NullLogger.Instance);
        using var capture = new VideoCapture(Repo.Sample);
        using var frame = new Mat();
        Assert.True(capture.Read(frame));
        var people = new List<Detection>(256);
        for (int i = 0; i < 5; i++) detector.Detect(frame, people); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) detector.Detect(frame, people);
        long perFrame = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;

        Assert.True(perFrame < 1024, $"detector allocated {perFrame} bytes per frame");
    }

    [Fact]
    public void Detector_Aborted_OnnxRuntimeEndsTheRunWithAnError()
    {
        // What the pool's supervisor does to a hung inference: RunOptions.Terminate makes ONNX Runtime give up.
        var model = ModelInspector.Resolve(ConfigWith(m => m, Repo.Model));
        using var detector = new OnnxDetector(model, new ExecutionDevice(DeviceKind.Cpu, 0), 1, 0.1f, 0.45f, NullLogger.Instance);
        using var capture = new VideoCapture(Repo.Sample);
        using var frame = new Mat();
        Assert.True(capture.Read(frame));
        detector.Abort();
        var ex = Assert.Throws<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => detector.Detect(frame, []));
        Assert.Contains("terminat", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose() => _dir.Dispose();
}

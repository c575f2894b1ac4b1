using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Counting;
using WorkerPool.Inference;
using WorkerPool.Pipeline;
using WorkerPool.Tracking;
using static WorkerPool.Bench.BenchSupport;

namespace WorkerPool.Bench;

/// <summary>
/// Replay throughput of the whole pipeline on vtest.avi with 1 and 2 single-core workers, against a bare ONNX
/// Runtime loop (1 thread) on pre-made tensors of the same frames, all in one run; plus managed allocations per
/// frame in steady state and peak RSS. Medians of N repeats.
/// </summary>
internal static class PipelineBench
{
    private const int TensorFrames = 64;   // distinct pre-made tensors the bare loop cycles through
    private const int BareInferences = 400;

    public static async Task<int> RunAsync(int repeats)
    {
        string root = FindRoot();
        string sample = Path.Combine(root, "samples", "vtest.avi");
        string configPath = Path.Combine(root, "device-config", "demo.json");
        if (!File.Exists(sample)) { Console.Error.WriteLine("samples/vtest.avi missing: run deploy-scripts/fetch-sample.sh"); return 1; }
        var config = DeviceConfigValidator.LoadValid(configPath);
        var model = ModelInspector.Resolve(config);
        var camera = config.Cameras.Single(c => c.Id == "vtest");
        camera.Loop = false;

        var bare = new List<double>();
        var one = new List<RunResult>();
        var two = new List<RunResult>();
        using (var detector = new OnnxDetector(model, new ExecutionDevice(DeviceKind.Cpu, 0), 1, 0.1f, 0.45f, NullLogger.Instance))
        {
            var tensors = MakeTensors(sample, detector, model.Manifest);
            for (int r = 0; r < repeats; r++)
            {
                // Interleaved so machine noise hits every variant alike.
                bare.Add(BareLoop(detector, tensors));
                one.Add(await PipelineRunAsync(config, camera, model, sample, [0]));
                two.Add(await PipelineRunAsync(config, camera, model, sample, [0, 1]));
            }
        }

        double bareMedian = Median(bare), oneMedian = Median(one.Select(x => x.Fps)), twoMedian = Median(two.Select(x => x.Fps));
        Console.WriteLine($"# WorkerPool pipeline benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {Machine()}; {Environment.ProcessorCount} cores; .NET {Environment.Version}; repeats: {repeats}");
        Console.WriteLine();
        Console.WriteLine("| variant | fps (median) | runs | vs bare 1-thread loop |");
        Console.WriteLine("| --- | --- | --- | --- |");
        Console.WriteLine($"| bare ONNX Runtime loop, 1 thread, pre-made tensors | {bareMedian:0.0} | {Join(bare)} | 1.00x |");
        Console.WriteLine($"| replay pipeline, 1 worker (core 0) | {oneMedian:0.0} | {Join(one.Select(x => x.Fps))} | {oneMedian / bareMedian:0.00}x |");
        Console.WriteLine($"| replay pipeline, 2 workers (cores 0, 1) | {twoMedian:0.0} | {Join(two.Select(x => x.Fps))} | {twoMedian / bareMedian:0.00}x |");
        Console.WriteLine();
        Console.WriteLine($"steady-state managed allocation per frame (frames 200-700, all threads): 1 worker {Median(one.Select(x => x.BytesPerFrame)):0} B, 2 workers {Median(two.Select(x => x.BytesPerFrame)):0} B");
        Console.WriteLine($"peak RSS of the benchmark process: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):0} MiB");
        Console.WriteLine($"counts (2 workers, last run): {two[^1].Counts}");
        return 0;
    }

    private sealed record RunResult(double Fps, double BytesPerFrame, string Counts);

    private static async Task<RunResult> PipelineRunAsync(DeviceConfig config, CameraOptions camera, ModelInfo model, string sample, int[] cores)
    {
        config.Pool.Workers = cores.Select(c => new WorkerOptions { Device = "cpu", Cores = [c] }).ToList();
        var detectors = new OnnxDetectorFactory(model, config, NullLogger.Instance);
        var pipeline = new CountingPipeline(config, [(camera, new CameraUri(SourceKind.File, sample))], detectors,
            new FrameSourceFactory(TimeProvider.System), new NullCountSink(), PipelineMode.Replay, TimeProvider.System, NullLoggerFactory.Instance);
        var probe = new AllocationProbe();
        var counter = pipeline.Counters[camera.Id];
        counter.Observer = probe;
        var clock = new Stopwatch();
        try
        {
            pipeline.Start(); // loads the models: not part of the measured time
            clock.Start();
            await pipeline.CamerasCompletion;
        }
        finally
        {
            await pipeline.DisposeAsync();
            clock.Stop();
        }
        string counts = string.Join(", ", counter.Lines.Select(l => $"{l.Id} {l.In}/{l.Out}"));
        return new RunResult(counter.FramesProcessed / clock.Elapsed.TotalSeconds, probe.BytesPerFrame, counts);
    }

    private static List<float[]> MakeTensors(string sample, OnnxDetector detector, ModelManifest manifest)
    {
        using var capture = new VideoCapture(sample);
        using var frame = new Mat();
        using var letterbox = new Letterbox(manifest);
        var tensors = new List<float[]>();
        while (tensors.Count < TensorFrames && capture.Read(frame))
        {
            var t = new float[detector.InputTensor.Length];
            letterbox.Apply(frame, t);
            tensors.Add(t);
        }
        return tensors;
    }

    private static double BareLoop(OnnxDetector detector, List<float[]> tensors)
    {
        for (int i = 0; i < 10; i++) detector.RunRaw(); // warm up
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < BareInferences; i++)
        {
            tensors[i % tensors.Count].CopyTo(detector.InputTensor, 0);
            detector.RunRaw();
        }
        return BareInferences / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Managed bytes allocated by the whole process between frame 200 and frame 700.</summary>
    private sealed class AllocationProbe : IFrameObserver
    {
        private long _at200, _at700;

        public double BytesPerFrame => _at700 > 0 ? (_at700 - _at200) / 500.0 : double.NaN;

        public void OnFrame(InferenceResult result, IReadOnlyList<Track> tracks, ReadOnlySpan<int> zoneOccupancy)
        {
            if (result.Admit == 200) _at200 = GC.GetTotalAllocatedBytes(precise: true);
            else if (result.Admit == 700) _at700 = GC.GetTotalAllocatedBytes(precise: true);
        }
    }
}

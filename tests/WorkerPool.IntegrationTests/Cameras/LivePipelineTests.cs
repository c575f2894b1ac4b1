using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Inference;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Pipeline;

namespace WorkerPool.IntegrationTests.Cameras;

/// <summary>The live pipeline in-process with the real model: cameras that die, never connect, and come back.</summary>
public class LivePipelineTests
{
    private sealed class CollectingSink : ICountSink
    {
        public ConcurrentQueue<CountRecord> Records { get; } = new();
        public void Write(CountRecord record) => Records.Enqueue(record);
        public void Checkpoint(IReadOnlyList<CountRecord> openWindows) { }
    }

    private static (DeviceConfig Config, CountingPipeline Pipeline, CollectingSink Sink) Build(params CameraOptions[] cameras) =>
        Build(null, cameras);

    private static (DeviceConfig Config, CountingPipeline Pipeline, CollectingSink Sink) Build(IDetectorFactory? detectors, params CameraOptions[] cameras)
    {
        var config = ConfigLoader.Parse("""{ "deviceId": "test", "pool": { "workers": [ { "device": "cpu", "cores": [0] } ] }, "cameras": [] }""");
        config.Model.Manifest = Repo.Manifest;
        config.Counting.WindowSeconds = 1;
        config.Cameras.AddRange(cameras);
        Assert.Empty(DeviceConfigValidator.Validate(config));
        var model = ModelInspector.Resolve(config);
        var sink = new CollectingSink();
        var pipeline = new CountingPipeline(config, CountingPipeline.CamerasOf(config),
            detectors ?? new OnnxDetectorFactory(model, 0.1f, 0.45f, NullLogger.Instance), new FrameSourceFactory(TimeProvider.System),
            sink, PipelineMode.Live, TimeProvider.System, NullLoggerFactory.Instance);
        return (config, pipeline, sink);
    }

    private static CameraOptions Camera(string id, string url, double fps = 5) => new()
    {
        Id = id, Url = url, Fps = fps, Loop = true, StallTimeoutSeconds = 3,
        Lines = [new LineOptions { Id = "mid", From = [0.5, 0], To = [0.5, 1] }],
        Zones = [new ZoneOptions { Id = "all", Polygon = [[0, 0], [1, 0], [1, 1], [0, 1]] }],
    };

    private static async Task Until(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(describe());
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task DeadCameras_NeverStopTheGoodOne_AndReportReconnectingWithTheirError()
    {
        // A server that accepts the connection and then says nothing: the stream stalls.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var (_, pipeline, sink) = Build(
            Camera("good", Repo.Sample),
            Camera("rtsp-silent", $"rtsp://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}/stalled"),
            Camera("rtsp-dead", $"rtsp://127.0.0.1:{RtspServer.FreePort()}/none"),
            Camera("usb-dead", "usb:63"),
            Camera("file-dead", "/nonexistent/video.avi"));
        await using (pipeline)
        {
            pipeline.Start();
            await Until(() => pipeline.Counters["good"].FramesProcessed >= 15 && pipeline.CameraStatus().Count(c => c.State == CameraState.Reconnecting) == 4,
                TimeSpan.FromSeconds(60), () => string.Join("; ", pipeline.CameraStatus()));

            var status = pipeline.CameraStatus().ToDictionary(c => c.Id);
            Assert.Equal(CameraState.Connected, status["good"].State);
            foreach (var id in new[] { "rtsp-silent", "rtsp-dead", "usb-dead", "file-dead" })
            {
                Assert.Equal(CameraState.Reconnecting, status[id].State);
                Assert.False(string.IsNullOrWhiteSpace(status[id].LastError), id + " has no error");
            }
            Assert.Contains("does not exist", status["file-dead"].LastError, StringComparison.Ordinal);
            // Windows close for dead cameras too: a dashboard sees them as counting nothing, not as silent.
            await Until(() => sink.Records.Any(r => r.CameraId == "usb-dead"), TimeSpan.FromSeconds(10), () => "no window for usb-dead");
        }
        Assert.Contains(sink.Records, r => r.CameraId == "good" && r.FramesProcessed > 0);
    }

    [Fact]
    public async Task RtspCamera_ServerKilledAndRestarted_ReconnectsAndCountingResumes()
    {
        using var server = new RtspServer();
        server.Start();
        // A generous stall timeout: under a loaded CI machine the server's encoder can take seconds for the first
        // keyframe; the kill below is noticed at once anyway (FFmpeg exits).
        var camera = Camera("rtsp", server.Url);
        camera.StallTimeoutSeconds = 15;
        var (_, pipeline, _) = Build(camera);
        await using (pipeline)
        {
            pipeline.Start();
            var counter = pipeline.Counters["rtsp"];
            await Until(() => counter.FramesProcessed >= 10, TimeSpan.FromSeconds(60), () => string.Join("; ", pipeline.CameraStatus()));
            Assert.Equal(CameraState.Connected, pipeline.CameraStatus().Single().State);

            server.Kill();
            await Until(() => pipeline.CameraStatus().Single().State == CameraState.Reconnecting, TimeSpan.FromSeconds(30),
                () => string.Join("; ", pipeline.CameraStatus()));
            long before = counter.FramesProcessed;

            server.Start();
            await Until(() => counter.FramesProcessed >= before + 10, TimeSpan.FromSeconds(90), () => string.Join("; ", pipeline.CameraStatus()));
            var status = pipeline.CameraStatus().Single();
            Assert.Equal(CameraState.Connected, status.State);
            Assert.Equal((640, 360), (status.Width, status.Height));
        }
    }

    [Fact]
    public async Task PoolFallingBehind_DropsOldestFramesAndCountsEveryOne()
    {
        // A live 10 fps camera and a worker that needs 250 ms a frame: most frames must be dropped, visibly.
        var (_, pipeline, sink) = Build(new SlowDetectorFactory(TimeSpan.FromMilliseconds(250)), Camera("busy", Repo.Sample, fps: 0));
        await using (pipeline)
        {
            pipeline.Start();
            await Until(() => sink.Records.Count(r => r.CameraId == "busy") >= 4, TimeSpan.FromSeconds(30), () => "no windows");
        }
        var records = sink.Records.Where(r => r.CameraId == "busy").ToArray();
        long processed = records.Sum(r => r.FramesProcessed), dropped = records.Sum(r => r.FramesDropped);
        var camera = pipeline.CameraStatus().Single();
        Assert.True(processed > 0 && dropped >= processed, $"processed {processed}, dropped {dropped}");
        // Every admitted frame is accounted for as processed, dropped or failed: nothing vanishes.
        Assert.Equal(camera.FramesAdmitted, processed + dropped + records.Sum(r => r.FramesFailed));
    }

    private sealed class SlowDetectorFactory(TimeSpan delay) : IDetectorFactory
    {
        public IDetector Create(ExecutionDevice device, int threads) => new Slow(delay);

        private sealed class Slow(TimeSpan delay) : IDetector
        {
            public string ActiveDevice => "cpu";
            public string? FallbackReason => null;
            public void Detect(OpenCvSharp.Mat frame, List<Detection> into) { into.Clear(); Thread.Sleep(delay); }
            public void Dispose() { }
        }
    }
}

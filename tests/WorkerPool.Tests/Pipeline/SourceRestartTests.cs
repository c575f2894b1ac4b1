using WorkerPool.Counting;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Inference;
using WorkerPool.Pipeline;

namespace WorkerPool.Tests.Pipeline;

/// <summary>
/// A live source restarted (a reconnect, restart-camera, a new URL) starts its own media time at 0 again; the
/// camera's sampling and tracking must go on as if nothing happened.
/// </summary>
public sealed class SourceRestartTests
{
    private const int FramesPerSession = 250; // 10 s at 25 fps

    [Fact]
    public async Task LiveSource_ReconnectsTwice_EverySessionIsSampledAtTheCameraFps()
    {
        var sources = new SessionSources(sessions: 3);
        await using var pipeline = Build(sources, fps: 5);
        pipeline.Start();
        // The fourth open fails: by then the three sessions have been read to their end.
        await Until(() => sources.Opened >= 4, TimeSpan.FromSeconds(30));

        var camera = pipeline.CameraStatus().Single();
        Assert.Equal(3 * FramesPerSession, camera.FramesRead);
        // 25 fps sampled to 5: every fifth frame of every session, not of the first one only.
        Assert.InRange(camera.FramesAdmitted, 3 * FramesPerSession / 5 - 3, 3 * FramesPerSession / 5 + 3);
    }

    [Fact]
    public async Task RestartCamera_AfterMinutesOfVideo_KeepsAdmittingFrames()
    {
        var sources = new SessionSources(sessions: 2);
        await using var pipeline = Build(sources, fps: 5, framesPerSession: 100 * 25, endless: true);
        pipeline.Start();
        await Until(() => pipeline.CameraStatus().Single().FramesRead >= 100 * 25, TimeSpan.FromSeconds(30));
        long before = pipeline.CameraStatus().Single().FramesAdmitted;

        Assert.True(await pipeline.RestartCameraAsync("cam"));
        long read = pipeline.CameraStatus().Single().FramesRead;
        await Until(() => sources.Opened == 2 && pipeline.CameraStatus().Single().FramesRead >= read + 50, TimeSpan.FromSeconds(30));

        // 50 frames into the new session at 25 fps is 2 s: about 10 admitted at 5 fps, not none for 100 s.
        Assert.True(pipeline.CameraStatus().Single().FramesAdmitted - before >= 8, string.Join("; ", pipeline.CameraStatus()));
    }

    private static CountingPipeline Build(SessionSources sources, double fps, int framesPerSession = FramesPerSession, bool endless = false)
    {
        sources.FramesPerSession = framesPerSession;
        sources.Endless = endless;
        var config = new DeviceConfig
        {
            DeviceId = "dev",
            Pool = new PoolOptions { Workers = [new WorkerOptions()], QueuePerCamera = 64 },
            Cameras = [new CameraOptions { Id = "cam", Url = "rtsp://127.0.0.1:1/fake", Fps = fps }],
        };
        return new CountingPipeline(config, CountingPipeline.CamerasOf(config), new NoPeople(), sources, new NullCountSink(),
            PipelineMode.Live, TimeProvider.System, NullLoggerFactory.Instance);
    }

    private static async Task Until(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Opens live sessions of 25 fps whose media time starts at 0, like one FFmpeg child per session. Each delivers
    /// its first frames at once (as if it had run that long), then ends, or goes on in real time when endless.
    /// </summary>
    internal sealed class SessionSources(int sessions) : IFrameSourceFactory
    {
        private int _opened;
        public int FramesPerSession { get; set; }
        public bool Endless { get; set; }
        public int Opened => Volatile.Read(ref _opened);

        public IFrameSource Open(CameraUri uri, CameraOptions camera)
        {
            int n = Interlocked.Increment(ref _opened);
            if (n > sessions) throw new IOException("no more sessions");
            // Endless (restarted by hand): only the first session has a history; the next one is live from its start.
            return new Session(Endless && n > 1 ? 0 : FramesPerSession, Endless);
        }
    }

    private sealed class Session(int frames, bool endless) : IFrameSource
    {
        private int _index = -1;
        public int Width => 64;
        public int Height => 48;
        public double Fps => 25;
        public double PositionSeconds => _index / 25.0;
        public bool CanRewind => false;

        public bool Read(Mat into)
        {
            if (_index + 1 >= frames)
            {
                if (!endless) return false; // the stream ended: the reader reconnects at once
                Thread.Sleep(40); // then live at its own pace, until the reader is stopped
            }
            if (into.Empty()) into.Create(48, 64, MatType.CV_8UC3);
            _index++;
            return true;
        }

        public void Rewind() => throw new NotSupportedException();
        public void Dispose() { }
    }

    internal sealed class NoPeople : IDetectorFactory
    {
        public IDetector Create(ExecutionDevice device, int threads) => new Detector();

        private sealed class Detector : IDetector
        {
            public string ActiveDevice => "cpu";
            public string? FallbackReason => null;
            public void Detect(Mat frame, List<Detection> into) => into.Clear();
            public void Dispose() { }
        }
    }
}

using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Inference;

namespace WorkerPool.Pipeline;

/// <summary>
/// What a pipeline is built from besides its config: how cameras feed it, where records go, and how frames are read.
/// The service and <c>replay</c> differ only here.
/// </summary>
/// <param name="Mode">Live (realtime, drop the oldest when behind) or replay (as fast as the pool takes frames).</param>
/// <param name="Sink">Where closed windows go.</param>
/// <param name="Sources">Opens camera sources.</param>
public sealed record PipelineSetup(PipelineMode Mode, ICountSink Sink, IFrameSourceFactory Sources)
{
    /// <summary>The detectors for a config; by default the config's model through ONNX Runtime.</summary>
    public Func<DeviceConfig, IDetectorFactory>? Detectors { get; init; }

    /// <summary>The cameras to run for a config, each with the URL to read; by default its enabled cameras (replay substitutes its video).</summary>
    public Func<DeviceConfig, IReadOnlyList<(CameraOptions Camera, CameraUri Uri)>>? Cameras { get; init; }

    /// <summary>Sees every counted frame of every camera (replay's --frames-out and --annotate).</summary>
    public IFrameObserver? Observer { get; init; }
}

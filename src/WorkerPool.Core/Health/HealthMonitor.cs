using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Pipeline;

namespace WorkerPool.Health;

/// <summary>How the service is doing, worst last.</summary>
public enum HealthState
{
    /// <summary>Not evaluated yet (models loading).</summary>
    Starting,
    /// <summary>Counting: inference makes progress and every camera delivers.</summary>
    Healthy,
    /// <summary>Counting, but a camera has been down for a while; restarting the service would not help.</summary>
    Degraded,
    /// <summary>Not counting: no pipeline, or the inference pool finished nothing while frames waited. The watchdog stops being fed.</summary>
    Unhealthy,
}

/// <summary>One health verdict and why.</summary>
public sealed record HealthReport(HealthState State, string? Reason);

/// <summary>The pipeline figures health is judged from, taken at one moment.</summary>
public sealed record PipelineSnapshot(bool Running, long InferencesDone, long FramesAdmitted, int QueueDepth,
    IReadOnlyList<(string Id, CameraState State)> Cameras, bool Reconfiguring = false)
{
    /// <summary>No pipeline (not started, or being rebuilt after a failure).</summary>
    public static readonly PipelineSnapshot None = new(false, 0, 0, 0, []);

    /// <summary>Reads the service's pipeline, noting whether a config is being applied.</summary>
    public static PipelineSnapshot Of(PipelineService service) =>
        service.Applying ? None with { Reconfiguring = true } : Of(service.Pipeline);

    /// <summary>Reads a running pipeline (or <see cref="None"/> for null).</summary>
    public static PipelineSnapshot Of(CountingPipeline? pipeline)
    {
        if (pipeline is null) return None;
        long done = 0;
        foreach (var w in pipeline.Pool.Status()) done += w.Metrics.Processed + w.Metrics.Failed;
        long admitted = 0;
        foreach (var gate in pipeline.Gates.Values) admitted += gate.Admitted;
        var cameras = pipeline.CameraStatus().Select(c => (c.Id, c.State)).ToArray();
        return new PipelineSnapshot(true, done, admitted, pipeline.Pool.QueueDepth, cameras);
    }
}

/// <summary>
/// Judges health from successive pipeline snapshots. A pool is stalled when it finished no inference for
/// <see cref="HealthOptions.StallSeconds"/> although frames were waiting or being admitted; that is the one state a
/// restart fixes, so it is the one that starves the watchdog. A dead camera only degrades (the reader reconnects by itself).
/// </summary>
public sealed class HealthMonitor(Func<HealthOptions> options, TimeProvider time)
{
    private long _lastDone = -1, _lastAdmitted = -1;
    private long _progressAt;
    private bool _waiting;
    private readonly Dictionary<string, long> _downSince = new(StringComparer.Ordinal);

    /// <summary>The latest verdict.</summary>
    public HealthReport Current { get; private set; } = new(HealthState.Starting, "starting");

    /// <summary>Judges one snapshot and remembers the verdict.</summary>
    public HealthReport Evaluate(PipelineSnapshot s)
    {
        var o = options();
        long now = time.GetTimestamp();
        if (s.Reconfiguring)
        {
            // A new pool may take minutes to load (a TensorRT engine build); its own timeout bounds that.
            _lastDone = -1;
            _downSince.Clear();
            return Current = new(HealthState.Healthy, "applying a new config");
        }
        if (!s.Running)
        {
            _lastDone = -1;
            return Current = new(HealthState.Unhealthy, "pipeline is not running");
        }

        if (s.InferencesDone != _lastDone)
        {
            _lastDone = s.InferencesDone;
            _progressAt = now;
            _waiting = false;
        }
        // Frames waiting in the queue, or admitted since the last look, mean the pool has work it should be doing.
        _waiting |= s.QueueDepth > 0 || (_lastAdmitted >= 0 && s.FramesAdmitted != _lastAdmitted);
        _lastAdmitted = s.FramesAdmitted;
        var idle = time.GetElapsedTime(_progressAt, now);
        if (_waiting && idle.TotalSeconds >= o.StallSeconds)
            return Current = new(HealthState.Unhealthy, $"inference pool finished nothing for {idle.TotalSeconds:0} s with frames waiting");

        var down = new List<string>();
        foreach (var (id, state) in s.Cameras)
        {
            if (state is CameraState.Connected or CameraState.Ended or CameraState.Stopped) { _downSince.Remove(id); continue; }
            if (!_downSince.TryGetValue(id, out long since)) _downSince[id] = since = now;
            if (time.GetElapsedTime(since, now).TotalSeconds >= o.CameraDownSeconds) down.Add(id);
        }
        foreach (var gone in _downSince.Keys.Except(s.Cameras.Select(c => c.Id)).ToArray()) _downSince.Remove(gone);
        if (down.Count > 0)
            return Current = new(HealthState.Degraded, $"camera{(down.Count > 1 ? "s" : "")} {string.Join(", ", down)} down for {o.CameraDownSeconds}+ s");
        return Current = new(HealthState.Healthy, null);
    }
}

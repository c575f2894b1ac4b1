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
    /// <summary>Counting, but a camera has been down for a while, counts nothing, or the outbox cannot store; restarting the service would not help.</summary>
    Degraded,
    /// <summary>Not counting: no pipeline, or the inference pool finished nothing while frames waited. The watchdog stops being fed.</summary>
    Unhealthy,
}

/// <summary>One health verdict and why.</summary>
public sealed record HealthReport(HealthState State, string? Reason);

/// <summary>One camera as health sees it: its state, how many frames it read and admitted so far, and its picture.</summary>
/// <param name="TargetFps">Sampling rate into inference now (0 = every frame).</param>
public sealed record CameraSnapshot(string Id, CameraState State, long FramesRead, long FramesAdmitted, double TargetFps)
{
    /// <summary>Seconds the picture had not changed at its latest check (null: not checked yet).</summary>
    public double? FrozenSeconds { get; init; }

    /// <summary>Whether the latest check found a near-uniform picture (null: not checked yet).</summary>
    public bool? PictureUniform { get; init; }
}

/// <summary>The pipeline figures health is judged from, taken at one moment.</summary>
/// <param name="OutboxError">Why the outbox cannot store or read records now, or null when it can.</param>
/// <param name="OutboxStuckSeconds">How long a storage call of the outbox has not returned (0 normally).</param>
public sealed record PipelineSnapshot(bool Running, long InferencesDone, long FramesAdmitted, int QueueDepth,
    IReadOnlyList<CameraSnapshot> Cameras, bool Reconfiguring = false, string? OutboxError = null, double OutboxStuckSeconds = 0)
{
    /// <summary>No pipeline (not started, or being rebuilt after a failure).</summary>
    public static readonly PipelineSnapshot None = new(false, 0, 0, 0, []);

    /// <summary>Health's view of the pipeline's status.</summary>
    public static PipelineSnapshot Of(PipelineStatus status)
    {
        if (status.Reconfiguring) return None with { Reconfiguring = true };
        if (!status.Running) return None;
        var cameras = status.Cameras.Select(c => new CameraSnapshot(c.Id, c.Capture.State, c.Capture.FramesRead, c.Capture.FramesAdmitted, c.TargetFps)
        {
            FrozenSeconds = c.Capture.FrozenSeconds, PictureUniform = c.Capture.PictureUniform,
        }).ToArray();
        return new PipelineSnapshot(true, status.InferencesDone, cameras.Sum(c => c.FramesAdmitted), status.QueueDepth, cameras);
    }
}

/// <summary>
/// Judges health from successive pipeline snapshots. A pool is stalled when it finished no inference for
/// <see cref="HealthOptions.StallSeconds"/> although frames were waiting or being admitted; that is the one state a
/// restart fixes, so it is the one that starves the watchdog. A dead camera only degrades (the reader reconnects by
/// itself), and so does a connected camera that admits no frame into inference: it would count nothing while it
/// looked fine. So does a connected camera whose picture is frozen or near-uniform (covered, blank, dark) for
/// <see cref="HealthOptions.CameraDownSeconds"/>: it delivers frames, but they show no one.
/// </summary>
public sealed class HealthMonitor(Func<HealthOptions> options, TimeProvider time)
{
    /// <summary>Judged with the health options of the config in effect.</summary>
    public HealthMonitor(Microsoft.Extensions.Options.IOptionsMonitor<HealthOptions> options, TimeProvider time) : this(() => options.CurrentValue, time)
    {
    }

    private long _lastDone = -1, _lastAdmitted = -1;
    private long _progressAt;
    private bool _waiting;
    private readonly Dictionary<string, long> _downSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Admitted, long Since)> _lastAdmit = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _uniformSince = new(StringComparer.Ordinal);

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
            _uniformSince.Clear();
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

        // A store that stopped answering holds up counting itself (the window that closes waits for it): restart.
        if (s.OutboxStuckSeconds >= o.StallSeconds)
            return Current = new(HealthState.Unhealthy, $"outbox storage has not answered for {s.OutboxStuckSeconds:0} s");

        var down = new List<string>();
        var blind = new List<string>();
        var frozen = new List<string>();
        var uniform = new List<string>();
        foreach (var c in s.Cameras)
        {
            if (c.State == CameraState.Connected && c.FrozenSeconds >= o.CameraDownSeconds) frozen.Add(c.Id);
            if (IsUniformLong(c, now, o)) uniform.Add(c.Id);
            if (c.State is CameraState.Connected or CameraState.Ended or CameraState.Stopped) _downSince.Remove(c.Id);
            else
            {
                if (!_downSince.TryGetValue(c.Id, out long since)) _downSince[c.Id] = since = now;
                if (time.GetElapsedTime(since, now).TotalSeconds >= o.CameraDownSeconds) down.Add(c.Id);
            }
            if (IsBlind(c, now, o)) blind.Add(c.Id);
        }
        foreach (var gone in _downSince.Keys.Except(s.Cameras.Select(c => c.Id)).ToArray()) _downSince.Remove(gone);
        foreach (var gone in _lastAdmit.Keys.Except(s.Cameras.Select(c => c.Id)).ToArray()) _lastAdmit.Remove(gone);
        foreach (var gone in _uniformSince.Keys.Except(s.Cameras.Select(c => c.Id)).ToArray()) _uniformSince.Remove(gone);
        var reasons = new List<string>();
        // Counting goes on and records wait in memory; a restart would not free the disk (and would lose them).
        if (s.OutboxError is not null) reasons.Add("outbox failing: " + s.OutboxError);
        if (down.Count > 0) reasons.Add($"camera{(down.Count > 1 ? "s" : "")} {string.Join(", ", down)} down for {o.CameraDownSeconds}+ s");
        if (blind.Count > 0) reasons.Add($"camera{(blind.Count > 1 ? "s" : "")} {string.Join(", ", blind)} connected but admitted no frame for {o.CameraDownSeconds}+ s");
        if (frozen.Count > 0) reasons.Add($"camera{(frozen.Count > 1 ? "s" : "")} {string.Join(", ", frozen)} picture frozen (unchanged) for {o.CameraDownSeconds}+ s");
        if (uniform.Count > 0) reasons.Add($"camera{(uniform.Count > 1 ? "s" : "")} {string.Join(", ", uniform)} picture near-uniform (covered, blank or dark) for {o.CameraDownSeconds}+ s");
        if (reasons.Count > 0) return Current = new(HealthState.Degraded, string.Join("; ", reasons));
        return Current = new(HealthState.Healthy, null);
    }

    /// <summary>True when a connected camera's picture has been near-uniform at every look for <see cref="HealthOptions.CameraDownSeconds"/>.</summary>
    private bool IsUniformLong(CameraSnapshot c, long now, HealthOptions o)
    {
        if (c.State != CameraState.Connected || c.PictureUniform != true)
        {
            _uniformSince.Remove(c.Id);
            return false;
        }
        if (!_uniformSince.TryGetValue(c.Id, out long since)) _uniformSince[c.Id] = since = now;
        return time.GetElapsedTime(since, now).TotalSeconds >= o.CameraDownSeconds;
    }

    /// <summary>
    /// True when a connected camera has admitted no frame for <see cref="HealthOptions.CameraDownSeconds"/> (or
    /// three of its sampling intervals, when it is sampled slower than that).
    /// </summary>
    private bool IsBlind(CameraSnapshot c, long now, HealthOptions o)
    {
        if (c.State != CameraState.Connected || !_lastAdmit.TryGetValue(c.Id, out var last) || last.Admitted != c.FramesAdmitted)
        {
            // Not connected, first seen, or admitting: its clock starts (again) now.
            _lastAdmit[c.Id] = (c.FramesAdmitted, now);
            return false;
        }
        double limit = c.TargetFps > 0 ? Math.Max(o.CameraDownSeconds, 3 / c.TargetFps) : o.CameraDownSeconds;
        return time.GetElapsedTime(last.Since, now).TotalSeconds >= limit;
    }
}

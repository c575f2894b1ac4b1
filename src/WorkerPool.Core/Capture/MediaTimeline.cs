namespace WorkerPool.Capture;

/// <summary>
/// One camera's media clock, continuous across every session of its source. Each source counts its own time from 0
/// (an FFmpeg child from its start, a file from its first frame), but the frame gate's sampling cadence and the
/// tracker's lost-track expiry run on this timeline, so a reconnect, a restart or a new URL neither blinds the gate
/// (frames "before" its next due time) nor revives tracks from before the break. It outlives the camera's readers.
/// </summary>
public sealed class MediaTimeline(TimeProvider time)
{
    private readonly object _lock = new();
    private double _base;
    private double _last = double.NaN;
    private long _lastAt;

    /// <summary>Timeline seconds of the last frame stamped (NaN before the first).</summary>
    public double Last
    {
        get { lock (_lock) return _last; }
    }

    /// <summary>
    /// Starts a new session of the source: its time 0 lies one frame interval after the last frame stamped or, when
    /// <paramref name="realtime"/> (a live camera), the wall-clock time since then if that is longer.
    /// </summary>
    public void BeginSession(double frameInterval, bool realtime)
    {
        lock (_lock)
        {
            if (double.IsNaN(_last)) return;
            double gap = Math.Max(frameInterval, 1e-3);
            if (realtime) gap = Math.Max(gap, time.GetElapsedTime(_lastAt).TotalSeconds);
            _base = _last + gap;
        }
    }

    /// <summary>The timeline time of a frame at <paramref name="sessionSeconds"/> into the current session; never earlier than the last one.</summary>
    public double Stamp(double sessionSeconds)
    {
        lock (_lock)
        {
            double t = _base + sessionSeconds;
            if (t < _last) t = _last; // a source whose own clock stepped back
            _last = t;
            _lastAt = time.GetTimestamp();
            return t;
        }
    }
}

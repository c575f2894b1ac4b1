namespace WorkerPool.Counting;

/// <summary>
/// When the open window is checkpointed: within <c>counting.checkpointSeconds</c> of a change to its counts (a
/// crossing, a zone's occupancy changing), and at most once a minute when only frame tallies moved (a steady or empty
/// scene). Nothing changed, nothing written: an SD card is not worn by an idle camera.
/// </summary>
public sealed class CheckpointSchedule(TimeSpan every)
{
    private TimeSpan _every = every;

    /// <summary>How often a checkpoint is written when only the frame tallies changed.</summary>
    public static readonly TimeSpan FramesOnlyEvery = TimeSpan.FromSeconds(60);

    private long _counts, _frames;
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <summary>Whether checkpoints are written at all (<c>counting.checkpointSeconds</c> &gt; 0).</summary>
    public bool Enabled => _every > TimeSpan.Zero;

    /// <summary>The interval for changed counts (a remote config may change it).</summary>
    public TimeSpan Every
    {
        get => _every;
        set => _every = value;
    }

    /// <summary>True when <paramref name="window"/> should be checkpointed now; then it is noted as written.</summary>
    public bool Due(WindowAggregator window, DateTimeOffset now)
    {
        if (!Enabled || window.WindowStart == DateTimeOffset.MinValue) return false;
        bool counts = window.CountChanges != _counts, frames = window.FrameChanges != _frames;
        var since = now - _last;
        if (since < TimeSpan.Zero) since = TimeSpan.MaxValue; // the clock was set back: do not wait for it to catch up
        if (!(counts && since >= _every) && !(frames && since >= FramesOnlyEvery)) return false;
        (_counts, _frames, _last) = (window.CountChanges, window.FrameChanges, now);
        return true;
    }

    /// <summary>Forgets what was written (a new aggregator starts its change counts again).</summary>
    public void Reset() => (_counts, _frames, _last) = (0, 0, DateTimeOffset.MinValue);
}

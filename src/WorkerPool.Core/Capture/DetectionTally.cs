namespace WorkerPool.Capture;

/// <summary>
/// What inference made of one camera's frames, for its heartbeat: how many frames it ran on, and the capture time of
/// the last one in which it found a person. Kept with the camera's <see cref="FramePool"/>, so it outlives the
/// camera's reader restarts; the workers write it, any thread reads it, without locks or allocation.
/// </summary>
public sealed class DetectionTally
{
    /// <summary>
    /// Score from which a box counts as a person found: the default <c>tracker.highThreshold</c>. The model keeps boxes
    /// down to <c>model.scoreThreshold</c> (0.1) for the tracker, and an empty room yields some of those now and then.
    /// </summary>
    public const float PersonScore = 0.5f;

    private const long None = long.MinValue;
    private long _processed;
    private long _lastDetectionTicks = None;

    /// <summary>Frames inference ran on without failing.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Capture time of the latest frame (by capture time) with a person in it; null when none had one yet.</summary>
    public DateTimeOffset? LastDetectionAt
    {
        get
        {
            long ticks = Interlocked.Read(ref _lastDetectionTicks);
            return ticks == None ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Counts one frame inference ran on, whose best box scored <paramref name="bestScore"/> (0 when it had none); one
    /// of at least <see cref="PersonScore"/> is a person found. Workers finish a camera's frames out of order, so the
    /// latest capture time wins, not the latest call.
    /// </summary>
    public void Record(DateTimeOffset captureTime, float bestScore)
    {
        Interlocked.Increment(ref _processed);
        if (bestScore < PersonScore) return;
        long ticks = captureTime.UtcTicks, seen = Interlocked.Read(ref _lastDetectionTicks);
        while (ticks > seen)
        {
            long was = Interlocked.CompareExchange(ref _lastDetectionTicks, ticks, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}

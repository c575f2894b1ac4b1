namespace WorkerPool.Capture;

/// <summary>
/// What inference made of one camera's frames, for its heartbeat: how many frames it ran on, and the capture time of
/// the last one in which it found a person. Kept with the camera's <see cref="FramePool"/>, so it outlives the
/// camera's reader restarts; the workers write it, any thread reads it, without locks or allocation.
/// </summary>
public sealed class DetectionTally
{
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
    /// Counts one frame inference ran on; <paramref name="foundPerson"/> when it found at least one person. Workers
    /// finish a camera's frames out of order, so the latest capture time wins, not the latest call.
    /// </summary>
    public void Record(DateTimeOffset captureTime, bool foundPerson)
    {
        Interlocked.Increment(ref _processed);
        if (!foundPerson) return;
        long ticks = captureTime.UtcTicks, seen = Interlocked.Read(ref _lastDetectionTicks);
        while (ticks > seen)
        {
            long was = Interlocked.CompareExchange(ref _lastDetectionTicks, ticks, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}

namespace WorkerPool.Outbox;

/// <summary>
/// One storage call at a time, and how long the current one has been running: LiteDB waits forever on its writer
/// when a write fails under it, and the outbox's state must still be readable (and say so) then. Thread-safe.
/// </summary>
internal sealed class StorageCalls(TimeProvider time)
{
    private readonly object _lock = new();
    private long _since; // monotonic timestamp of the call in progress, 0 when none

    /// <summary>Whether a storage call is running now.</summary>
    public bool InProgress => Interlocked.Read(ref _since) != 0;

    /// <summary>How long the running call has run (0 when none), to a tenth of a second.</summary>
    public double RunningSeconds
    {
        get
        {
            long since = Interlocked.Read(ref _since);
            return since == 0 ? 0 : Math.Round(time.GetElapsedTime(since).TotalSeconds, 1);
        }
    }

    /// <summary>Runs <paramref name="call"/> alone, timed.</summary>
    public T Run<T>(Func<T> call)
    {
        lock (_lock) return Timed(call);
    }

    /// <summary>Runs <paramref name="call"/> alone, timed.</summary>
    public void Run(Action call) => Run(() =>
    {
        call();
        return 0;
    });

    /// <summary>Takes the turn if it comes within <paramref name="wait"/>; release it with <see cref="Exit"/>.</summary>
    public bool TryEnter(TimeSpan wait) => Monitor.TryEnter(_lock, wait);

    /// <summary>Releases a turn taken by <see cref="TryEnter"/>.</summary>
    public void Exit() => Monitor.Exit(_lock);

    /// <summary>Times <paramref name="call"/> within a turn already held.</summary>
    public T Timed<T>(Func<T> call)
    {
        Interlocked.Exchange(ref _since, time.GetTimestamp());
        try { return call(); }
        finally { Interlocked.Exchange(ref _since, 0); }
    }
}

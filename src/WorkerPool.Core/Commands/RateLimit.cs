namespace WorkerPool.Commands;

/// <summary>A token bucket on a <see cref="TimeProvider"/>: bursts up to the capacity, then a steady rate.</summary>
public sealed class RateLimit(int capacity, TimeSpan refillEvery, TimeProvider time)
{
    private readonly object _lock = new();
    private double _tokens = capacity;
    private long _last = time.GetTimestamp();

    /// <summary>Takes a token; false when none is left.</summary>
    public bool TryTake()
    {
        lock (_lock)
        {
            long now = time.GetTimestamp();
            _tokens = Math.Min(capacity, _tokens + time.GetElapsedTime(_last, now) / refillEvery);
            _last = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}

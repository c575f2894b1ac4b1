namespace WorkerPool.Inference;

/// <summary>Counters of one worker slot (they survive the replacement of its thread). Thread-safe.</summary>
public sealed class WorkerMetrics
{
    private const int Window = 1024;
    private readonly float[] _latencyMs = new float[Window];
    private readonly object _lock = new();
    private readonly long _startTicks;
    private int _next, _count;
    private long _processed, _failed, _busyTicks, _replacements;

    /// <summary>Starts the clock for the busy fraction.</summary>
    public WorkerMetrics(long startTimestamp) => _startTicks = startTimestamp;

    /// <summary>Records one finished inference.</summary>
    public void Record(TimeSpan latency, bool ok)
    {
        lock (_lock)
        {
            _busyTicks += latency.Ticks;
            if (ok)
            {
                _processed++;
                _latencyMs[_next] = (float)latency.TotalMilliseconds;
                _next = (_next + 1) % Window;
                _count = Math.Min(_count + 1, Window);
            }
            else _failed++;
        }
    }

    /// <summary>Records a replacement of the worker's thread and model.</summary>
    public void RecordReplacement() => Interlocked.Increment(ref _replacements);

    /// <summary>A consistent copy of the counters; latency percentiles over the last 1,024 inferences.</summary>
    public WorkerSnapshot Snapshot(long nowTimestamp, TimeProvider time)
    {
        lock (_lock)
        {
            var sorted = _latencyMs.AsSpan(0, _count).ToArray();
            Array.Sort(sorted);
            double elapsed = time.GetElapsedTime(_startTicks, nowTimestamp).Ticks;
            return new WorkerSnapshot(_processed, _failed, Interlocked.Read(ref _replacements),
                elapsed <= 0 ? 0 : Math.Min(1, _busyTicks / elapsed),
                Percentile(sorted, 0.50), Percentile(sorted, 0.99));
        }
    }

    private static double Percentile(float[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}

/// <summary>Counters of one worker at one moment.</summary>
public sealed record WorkerSnapshot(long Processed, long Failed, long Replacements, double BusyFraction, double LatencyP50Ms, double LatencyP99Ms);

/// <summary>What a dashboard shows for one worker.</summary>
public sealed record WorkerStatus(int Index, string RequestedDevice, string ActiveDevice, string? FallbackReason,
    string Cores, string? CpusAllowed, string State, WorkerSnapshot Metrics);

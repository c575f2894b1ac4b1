using WorkerPool.Contracts;

namespace WorkerPool.Counting;

/// <summary>Discards count windows (replay and benchmarks read the counters' totals instead).</summary>
public sealed class NullCountSink : ICountSink
{
    /// <inheritdoc />
    public void Write(CountRecord record) { }

    /// <inheritdoc />
    public void Checkpoint(IReadOnlyList<CountRecord> openWindows) { }
}

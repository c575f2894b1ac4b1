using Microsoft.Extensions.Logging;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>Stores each closed window in the outbox (persist first; the publisher sends it), and the open windows' checkpoints beside them.</summary>
public sealed class OutboxCountSink(CountOutbox outbox, ILogger<OutboxCountSink> logger) : ICountSink
{
    /// <inheritdoc />
    public void Write(CountRecord record)
    {
        var entry = outbox.Append(record);
        if (entry is not null) Log.OutboxAppended(logger, entry.CameraId, entry.Seq, entry.MessageId);
    }

    /// <inheritdoc />
    public void Checkpoint(IReadOnlyList<CountRecord> openWindows) => outbox.Checkpoint(openWindows);
}

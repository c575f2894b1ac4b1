using Microsoft.Extensions.Logging;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;

namespace WorkerPool.Pipeline;

/// <summary>Writes each closed window to the log as one JSON object (until the outbox takes them).</summary>
public sealed class LogCountSink(ILogger<LogCountSink> logger) : ICountSink
{
    /// <inheritdoc />
    public void Write(CountRecord record) => Log.WindowClosed(logger, record.CameraId, record.WindowStart, CountJsonContext.Serialize(record));
}

using WorkerPool.Config;

namespace WorkerPool.Outbox;

/// <summary>The outbox refused to write because free disk space is below <see cref="OutboxOptions.MinFreeBytes"/>.</summary>
public sealed class DiskAlmostFullException(string message) : IOException(message);

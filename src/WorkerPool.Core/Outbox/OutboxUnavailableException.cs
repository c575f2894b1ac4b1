namespace WorkerPool.Outbox;

/// <summary>The outbox's storage cannot be read now (the publisher waits and tries again).</summary>
public sealed class OutboxUnavailableException(string message, Exception inner) : IOException(message, inner);

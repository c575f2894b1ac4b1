using Microsoft.Extensions.Logging;

namespace WorkerPool.Fleet.Ingest;

/// <summary>The ingest's log lines (source-generated).</summary>
internal static partial class IngestLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Ingest {ClientId} connected to the broker (session present: {SessionPresent}); subscribed as group {Group}")]
    public static partial void Connected(ILogger logger, string clientId, bool sessionPresent, string group);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Broker connection failed; retrying in {DelaySeconds:0.#} s")]
    public static partial void ConnectFailed(ILogger logger, double delaySeconds, Exception error);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Broker connection lost: {Reason}")]
    public static partial void Disconnected(ILogger logger, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Rejected a message on {Topic}: {Reason}")]
    public static partial void Rejected(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Writing a batch of {Count} messages failed (attempt {Attempt}); nothing is acknowledged, retrying in {DelaySeconds:0.#} s")]
    public static partial void WriteFailed(ILogger logger, int count, int attempt, double delaySeconds, Exception? error);

    [LoggerMessage(EventId = 205, Level = LogLevel.Debug, Message = "Stored {Stored} records, dropped {Duplicates} duplicates, in a batch of {Count} ({Milliseconds:0.0} ms)")]
    public static partial void BatchWritten(ILogger logger, int stored, int duplicates, int count, double milliseconds);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Ledger refresh failed; retrying next round")]
    public static partial void LedgerFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "Ingest stopped: {Stored} records stored, {Duplicates} duplicates dropped, {Rejected} messages rejected")]
    public static partial void Stopped(ILogger logger, long stored, long duplicates, long rejected);

    [LoggerMessage(EventId = 208, Level = LogLevel.Debug, Message = "A delivery from an earlier connection is not acknowledged (the broker sends it again)")]
    public static partial void StaleDelivery(ILogger logger);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "Subscription to {Filter} refused by the broker: {Result}")]
    public static partial void SubscribeRefused(ILogger logger, string filter, string result);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Asked for missing records on {Topic}: {Request}")]
    public static partial void ResendRequested(ILogger logger, string topic, string request);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Resend answered on {Topic}: {Reply}")]
    public static partial void ResendAnswered(ILogger logger, string topic, string reply);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "Acknowledging a committed batch of {Count} messages failed; the broker sends the unacknowledged ones again after a reconnect")]
    public static partial void AcknowledgeFailed(ILogger logger, int count, Exception error);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "Asking for missing records failed; retrying next round")]
    public static partial void GapRepairFailed(ILogger logger, Exception error);
}

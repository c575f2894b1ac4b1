using Microsoft.Extensions.Logging;

namespace WorkerPool.Software;

/// <summary>The software-update log lines (event ids 8000).</summary>
internal static partial class SoftwareLog
{
    [LoggerMessage(8000, LogLevel.Information, "Rollout {Rollout}: handing release {Version} to the update helper")]
    public static partial void Requested(ILogger logger, string rollout, string version);

    [LoggerMessage(8001, LogLevel.Warning, "Rollout {Rollout}: release {Version} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string rollout, string? version, string? reason);

    [LoggerMessage(8002, LogLevel.Information, "Desired software ignored: {Note}")]
    public static partial void Ignored(ILogger logger, string note);

    [LoggerMessage(8003, LogLevel.Information, "Software state: {State} {Version} ({Reason})")]
    public static partial void StateChanged(ILogger logger, string state, string? version, string? reason);

    [LoggerMessage(8004, LogLevel.Warning, "Cannot write to the update folder {Directory}: {Error}")]
    public static partial void SpoolFailed(ILogger logger, string directory, string error);

    [LoggerMessage(8005, LogLevel.Warning, "Operator asked for {Action}: handed to the update helper")]
    public static partial void OperatorRequest(ILogger logger, string action);
}

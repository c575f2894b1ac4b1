using Microsoft.Extensions.Logging;

namespace WorkerPool.Fleet;

/// <summary>Console logging to stderr (stdout carries the verbs' results), level from <c>WORKERPOOL_FLEET_LOG</c>.</summary>
internal static class FleetLogging
{
    public static ILoggerFactory Create() => LoggerFactory.Create(b =>
    {
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        b.SetMinimumLevel(Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("WORKERPOOL_FLEET_LOG"), true, out var level) ? level : LogLevel.Information);
        b.AddFilter("Npgsql", LogLevel.Warning);
    });
}

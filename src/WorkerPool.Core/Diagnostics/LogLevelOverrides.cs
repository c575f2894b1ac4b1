using Microsoft.Extensions.Logging;

namespace WorkerPool.Diagnostics;

/// <summary>
/// Per-category log levels from one environment variable, <c>WORKERPOOL_LOG_LEVELS</c>, as
/// <c>"WorkerPool.Counting=Debug,WorkerPool.Mqtt=Debug"</c>. Not .NET's <c>Logging__LogLevel__…</c> variables:
/// systemd refuses variable names with dots, and every category here has one.
/// </summary>
public static class LogLevelOverrides
{
    /// <summary>The environment variable read.</summary>
    public const string Variable = "WORKERPOOL_LOG_LEVELS";

    /// <summary>
    /// The category levels in <paramref name="value"/>, and one message per entry that is not
    /// <c>CATEGORY=LEVEL</c> (it is left out).
    /// </summary>
    public static (IReadOnlyList<(string Category, LogLevel Level)> Levels, IReadOnlyList<string> Errors) Parse(string? value)
    {
        var levels = new List<(string, LogLevel)>();
        var errors = new List<string>();
        foreach (string entry in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            string category = eq > 0 ? entry[..eq].Trim() : "";
            if (category.Length > 0 && Enum.TryParse<LogLevel>(entry[(eq + 1)..].Trim(), ignoreCase: true, out var level) && Enum.IsDefined(level))
                levels.Add((category, level));
            else
                errors.Add($"{Variable}: '{entry}' ignored: write CATEGORY=LEVEL, e.g. WorkerPool.Counting=Debug (levels: Trace, Debug, Information, Warning, Error, Critical, None)");
        }
        return (levels, errors);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using WorkerPool.Diagnostics;

namespace WorkerPool.Commands.Handlers;

/// <summary>
/// <c>get-logs</c> <c>{"lines": n, "minLevel": "warning"}</c> (both optional): the newest <c>n</c> lines of the
/// service's <see cref="LogTail"/> at <c>minLevel</c> or above, oldest first, so a device can be diagnosed without
/// SSH. Answers <c>{"lines": […], "dropped": k, "since": time of the oldest line sent}</c>; the lines together stay
/// within <see cref="MaxReplyBytes"/>, the oldest left out first and counted in <c>dropped</c>.
/// </summary>
public sealed class GetLogsCommand(LogTail tail) : ICommandHandler
{
    /// <summary>Lines sent when the request names no number.</summary>
    public const int DefaultLines = 100;

    /// <summary>Most lines one request may ask for (all the tail holds).</summary>
    public const int MaxLines = LogTail.DefaultCapacity;

    /// <summary>Most bytes of lines, as JSON, in one reply: well under <c>mqtt.maxPayloadBytes</c> and a broker's packet limit.</summary>
    public const int MaxReplyBytes = 64 * 1024;

    private const string Shape = "get-logs takes {\"lines\": 1 to 500, \"minLevel\": \"information\" | \"warning\" | \"error\" | \"critical\"}, both optional";

    /// <inheritdoc />
    public string Name => "get-logs";

    /// <inheritdoc />
    public Task<JsonNode?> RunAsync(JsonObject request)
    {
        var (count, minLevel) = Parse(request);
        var held = tail.Snapshot();
        var wanted = new List<LogTailLine>(count);
        for (int i = held.Count - 1; i >= 0 && wanted.Count < count; i--)
            if (held[i].Level >= minLevel) wanted.Add(held[i]);

        // Newest first until the cap: what an operator looks for is usually the latest.
        var kept = new List<LogTailLine>(wanted.Count);
        int bytes = 0;
        foreach (var line in wanted)
        {
            int size = Encoding.UTF8.GetByteCount(JsonValue.Create(line.Text).ToJsonString()) + 1;
            if (bytes + size > MaxReplyBytes) break;
            bytes += size;
            kept.Add(line);
        }
        kept.Reverse();
        return Task.FromResult<JsonNode?>(new JsonObject
        {
            ["lines"] = new JsonArray([.. kept.Select(l => (JsonNode)JsonValue.Create(l.Text))]),
            ["dropped"] = wanted.Count - kept.Count,
            ["since"] = kept.Count == 0 ? null : kept[0].Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>The request's line count and level, or a <see cref="CommandException"/> that says what is wrong.</summary>
    private static (int Lines, LogLevel MinLevel) Parse(JsonObject request)
    {
        int lines = DefaultLines;
        if (request["lines"] is { } n)
        {
            long? asked = n is JsonValue v && v.TryGetValue(out long l) ? l : n is JsonValue w && w.TryGetValue(out int i) ? i : null;
            if (asked is null) throw new CommandException(Shape + ": lines is a whole number");
            if (asked is < 1 or > MaxLines) throw new CommandException($"lines must be 1 to {MaxLines} (it is {asked})");
            lines = (int)asked;
        }
        var level = LogLevel.Information;
        if (request["minLevel"] is { } m)
        {
            if (m is not JsonValue s || !s.TryGetValue(out string? name) || !TryLevel(name, out level))
                throw new CommandException(Shape);
        }
        return (lines, level);
    }

    // Names only: Enum.TryParse alone would take "2" or "none"; below Information the tail holds nothing.
    private static bool TryLevel(string name, out LogLevel level)
    {
        level = name.ToUpperInvariant() switch
        {
            "INFORMATION" or "INFO" => LogLevel.Information,
            "WARNING" or "WARN" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "CRITICAL" => LogLevel.Critical,
            _ => LogLevel.None,
        };
        return level != LogLevel.None;
    }
}

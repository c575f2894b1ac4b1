using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using WorkerPool.Capture;

namespace WorkerPool.Diagnostics;

/// <summary>One line kept by <see cref="LogTail"/>: when it was logged, its level, and the line as the console writes it.</summary>
/// <param name="Time">When it was logged (UTC).</param>
/// <param name="Level">Its level.</param>
/// <param name="Text">The line: time, level, category[event id], message, exception type and message.</param>
public sealed record LogTailLine(DateTimeOffset Time, LogLevel Level, string Text);

/// <summary>
/// The last <see cref="Capacity"/> log lines of Information and above, in memory, for <c>get-logs</c>: the service
/// runs unprivileged and cannot count on reading the journal. A logger provider, so the host's filters apply to it
/// as to the console. Bounded in lines and in each line's length; the oldest line goes when a new one comes.
/// </summary>
public sealed class LogTail : ILoggerProvider
{
    /// <summary>Lines kept by default.</summary>
    public const int DefaultCapacity = 500;

    /// <summary>Longest line kept, in characters; a longer one is cut and ends with <see cref="Ellipsis"/>.</summary>
    public const int MaxLineChars = 2048;

    /// <summary>What ends a line that was cut.</summary>
    public const string Ellipsis = "…";

    private readonly TimeProvider _time;
    private readonly LogTailLine?[] _ring;
    private readonly object _lock = new();
    private int _next;
    private long _written;

    /// <summary>Creates an empty tail of <paramref name="capacity"/> lines.</summary>
    public LogTail(TimeProvider time, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        (_time, _ring) = (time, new LogTailLine?[capacity]);
    }

    /// <summary>Lines it can hold.</summary>
    public int Capacity => _ring.Length;

    /// <summary>Lines written since the start, kept or since overwritten.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>The lines held now, oldest first.</summary>
    public IReadOnlyList<LogTailLine> Snapshot()
    {
        lock (_lock)
        {
            var lines = new List<LogTailLine>(_ring.Length);
            for (int i = 0; i < _ring.Length; i++)
                if (_ring[(_next + i) % _ring.Length] is { } line) lines.Add(line);
            return lines;
        }
    }

    /// <summary>Keeps one line (formatted by the caller's logger), overwriting the oldest when full.</summary>
    internal void Add(LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        var now = _time.GetUtcNow();
        var line = new LogTailLine(now, level, Format(now, level, category, eventId, message, exception));
        lock (_lock)
        {
            _ring[_next] = line;
            _next = (_next + 1) % _ring.Length;
            _written++;
        }
    }

    /// <summary>
    /// The console's single-line shape, <c>2026-12-01T12:00:00.000Z info: Category[1000] message</c>, with only the
    /// exception's type and message (a stack would crowd out other lines), passwords in URLs masked, at most
    /// <see cref="MaxLineChars"/>.
    /// </summary>
    internal static string Format(DateTimeOffset time, LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        var text = new StringBuilder(96 + message.Length);
        text.Append(time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Append(' ').Append(ShortName(level)).Append(": ").Append(category)
            .Append('[').Append(eventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ").Append(message);
        if (exception is not null) text.Append(' ').Append(exception.GetType().FullName).Append(": ").Append(exception.Message);
        // A message can quote a camera URL; masked here too, in case one was logged as written.
        string line = UrlUserInfo.Redact(text.ToString().ReplaceLineEndings(" "));
        return line.Length <= MaxLineChars ? line : string.Concat(line.AsSpan(0, MaxLineChars - Ellipsis.Length), Ellipsis);
    }

    /// <summary>The console's four-letter level names.</summary>
    internal static string ShortName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new TailLogger(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing to release: the lines are plain memory, still readable after the host stops logging.
    }

    /// <summary>One category's logger into the tail.</summary>
    private sealed class TailLogger(LogTail tail, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Debug lines someone turned on for a category would push out the lines an operator needs.
        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Information and < LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            tail.Add(logLevel, category, eventId, formatter(state, exception), exception);
        }
    }
}

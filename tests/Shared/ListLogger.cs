using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WorkerPool.Testing;

/// <summary>An ILogger that keeps every line, so tests can assert on what an operator would read.</summary>
public sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));

    public int Count(int eventId) => Lines.Count(l => l.EventId == eventId);
}

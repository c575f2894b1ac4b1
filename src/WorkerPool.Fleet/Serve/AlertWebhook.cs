using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

namespace WorkerPool.Fleet.Serve;

/// <summary>
/// Posts each alert to the operator's webhook when it starts (<c>firing</c>) and when it ends (<c>resolved</c>), as
/// JSON (<see cref="AlertNotice"/>). A notice the webhook did not take is tried again next round; at most 1,000 wait.
/// </summary>
internal sealed partial class AlertWebhook(Uri url, Func<CancellationToken, Task<IReadOnlyList<Alert>>> evaluate, TimeSpan interval, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Dictionary<string, Alert> _firing = new(StringComparer.Ordinal);
    private readonly Queue<AlertNotice> _pending = new();

    public async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try { await RoundAsync(token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested) { LogRoundFailed(logger, ex); }
            await Task.Delay(interval, time, token).ConfigureAwait(false);
        }
    }

    /// <summary>One round: finds alerts that started or ended, and delivers every waiting notice in order.</summary>
    public async Task RoundAsync(CancellationToken token)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var current = (await evaluate(token).ConfigureAwait(false)).DistinctBy(a => a.Key).ToDictionary(a => a.Key, StringComparer.Ordinal);
        foreach (var (key, alert) in current.Where(a => !_firing.ContainsKey(a.Key))) { _firing[key] = alert; Enqueue(new AlertNotice("firing", alert, now)); }
        foreach (var key in _firing.Keys.Where(k => !current.ContainsKey(k)).ToList()) { Enqueue(new AlertNotice("resolved", _firing[key], now)); _firing.Remove(key); }
        while (_pending.TryPeek(out var notice))
        {
            using var response = await _http.PostAsJsonAsync(url, notice, DashboardJsonContext.Default.AlertNotice, token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) { LogRefused(logger, (int)response.StatusCode); return; }
            _pending.Dequeue();
        }
    }

    private void Enqueue(AlertNotice notice)
    {
        if (_pending.Count >= 1000) _pending.Dequeue();
        _pending.Enqueue(notice);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Alert webhook round failed; the notices wait for the next round")]
    private static partial void LogRoundFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Alert webhook answered {Status}; the notices wait for the next round")]
    private static partial void LogRefused(ILogger logger, int status);
}

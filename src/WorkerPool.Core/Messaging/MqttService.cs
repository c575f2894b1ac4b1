using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WorkerPool.Messaging;

/// <summary>
/// Runs the MQTT side in the host: the connection loop, the outbox publisher and the heartbeat. It stops after
/// the pipeline (registered before it), so the window closed at shutdown is stored, then sent if the broker is
/// reachable within a few seconds, and the retained status goes to offline.
/// </summary>
/// <param name="handlers">Every topic the device listens on (desired config, commands), subscribed before the first connect.</param>
public sealed partial class MqttService(MqttConnection connection, OutboxPublisher publisher, HeartbeatPublisher heartbeat, IEnumerable<ITopicHandler> handlers,
    ILogger<MqttService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var handler in handlers) connection.Subscribe(handler.Topic, handler.HandleAsync);
        _running = Task.WhenAll(
            Task.Run(() => connection.RunAsync(_stop.Token), CancellationToken.None),
            Task.Run(() => publisher.RunAsync(_stop.Token), CancellationToken.None),
            Task.Run(() => heartbeat.RunAsync(_stop.Token), CancellationToken.None));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (connection.IsConnected)
        {
            // Last chance for what the shutdown itself produced; whatever does not go stays in the outbox.
            using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            drain.CancelAfter(TimeSpan.FromSeconds(5));
            try { await publisher.DrainWhileConnectedAsync(drain.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or LiteDB.LiteException) { } // stays in the outbox for next time
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _running.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            StoppedWithError(logger, ex);
        }
        await connection.ShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(5010, LogLevel.Error, "MQTT service stopped with an error")]
    private static partial void StoppedWithError(ILogger logger, Exception exception);

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}

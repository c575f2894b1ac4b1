using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WorkerPool.Messaging;

/// <summary>
/// Runs the MQTT side in the host: the connection loop, the outbox publisher and the heartbeat. It stops after
/// the pipeline (registered before it), so the window closed at shutdown is stored, then sent if the broker is
/// reachable within a few seconds, and the retained status goes to offline.
/// </summary>
/// <param name="remoteConfig">Taken so that its subscription is registered before the first connect.</param>
/// <param name="commands">Likewise.</param>
public sealed class MqttService(MqttConnection connection, OutboxPublisher publisher, HeartbeatPublisher heartbeat, ILogger<MqttService> logger,
    RemoteConfig.RemoteConfigService? remoteConfig = null, Commands.CommandService? commands = null) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    /// <summary>Remote configuration, when enabled.</summary>
    public RemoteConfig.RemoteConfigService? RemoteConfig => remoteConfig;

    /// <summary>Remote commands, when enabled.</summary>
    public Commands.CommandService? Commands => commands;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
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
            try
            {
                while (connection.IsConnected && await publisher.DrainOnceAsync(drain.Token).ConfigureAwait(false) > 0) { }
            }
            catch (OperationCanceledException) { }
            catch (Exception ex) when (ex is IOException or LiteDB.LiteException) { } // stays in the outbox for next time
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _running.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            logger.LogError(ex, "MQTT service stopped with an error");
        }
        await connection.ShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _stop.Dispose();
}

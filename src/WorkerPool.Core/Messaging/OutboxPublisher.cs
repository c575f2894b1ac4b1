using Microsoft.Extensions.Logging;
using WorkerPool.Diagnostics;
using WorkerPool.Outbox;

namespace WorkerPool.Messaging;

/// <summary>
/// Drains the outbox to the broker, oldest first, in batches: each record goes out with QoS 1 on its camera's
/// counts topic, with its message id as an MQTT 5 user property (<see cref="CountMessage"/>), and is deleted (archived)
/// only after the broker's PUBACK.
/// A new record wakes it at once; it never polls.
/// </summary>
public sealed class OutboxPublisher(CountOutbox outbox, MqttConnection connection, int batchSize, TimeProvider time, ILogger logger) : IDisposable
{
    /// <summary>The service's publisher: batches of <see cref="Config.MqttOptions.BatchSize"/>.</summary>
    public OutboxPublisher(CountOutbox outbox, MqttConnection connection, Config.DeviceConfig config, TimeProvider time, ILoggerFactory loggers)
        : this(outbox, connection, config.Mqtt.BatchSize, time, loggers.CreateLogger(Diagnostics.LogCategories.Mqtt))
    {
    }

    private readonly SemaphoreSlim _drain = new(1, 1); // one drainer at a time, or a record could go out twice
    private long _lastPublishTicks;
    private int _unacknowledged; // consecutive publishes the broker did not acknowledge in time

    /// <summary>When a record was last acknowledged by the broker, or null.</summary>
    public DateTimeOffset? LastPublishAt
    {
        get
        {
            long ticks = Interlocked.Read(ref _lastPublishTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Publishes until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await connection.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
                if (await DrainOnceAsync(cancellationToken).ConfigureAwait(false) == 0)
                    await outbox.WaitForRecordsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or LiteDB.LiteException)
            {
                // Storage trouble (disk full, failing card): the records stay; try again in a while, not in a loop.
                Log.PublishInterrupted(logger, ex.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(5), time, cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>
    /// Publishes batch after batch while connected, until the outbox is empty or <paramref name="cancellationToken"/>
    /// ends; returns how many records the broker acknowledged.
    /// </summary>
    public async Task<int> DrainWhileConnectedAsync(CancellationToken cancellationToken)
    {
        int published = 0;
        try
        {
            int n;
            while (connection.IsConnected && (n = await DrainOnceAsync(cancellationToken).ConfigureAwait(false)) > 0) published += n;
        }
        catch (OperationCanceledException) { } // time is up: what did not go stays in the outbox
        return published;
    }

    /// <summary>Publishes one batch; returns how many records the broker acknowledged.</summary>
    public async Task<int> DrainOnceAsync(CancellationToken cancellationToken)
    {
        await _drain.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await DrainLockedAsync(cancellationToken).ConfigureAwait(false); }
        finally { _drain.Release(); }
    }

    private async Task<int> DrainLockedAsync(CancellationToken cancellationToken)
    {
        var batch = outbox.ReadOldest(batchSize);
        if (batch.Count == 0) return 0;
        var acked = new List<long>(batch.Count);
        // What to wait for after this batch: only once the acknowledged records are deleted, so a crash meanwhile
        // does not send them again.
        TimeSpan? pause = null;
        bool reconnect = false;
        try
        {
            foreach (var entry in batch)
            {
                var result = await connection.PublishAsync(CountMessage.Of(entry, connection.Topics), cancellationToken).ConfigureAwait(false);
                if (!result.IsSuccess)
                {
                    // The broker answered but refused (e.g. ACL): keep the record and back off instead of spinning.
                    Log.PublishRefused(logger, entry.MessageId, connection.Topics.Counts(entry.CameraId), result.ReasonString ?? result.ReasonCode.ToString());
                    pause = TimeSpan.FromSeconds(5);
                    break;
                }
                acked.Add(entry.Id);
                _unacknowledged = 0;
            }
        }
        catch (TimeoutException ex)
        {
            // Connected, but no PUBACK (a broker overloaded or stuck): keep the record, back off, try again.
            pause = TimeSpan.FromSeconds(Math.Min(connection.MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(_unacknowledged++, 10))));
            Log.PublishNotAcknowledged(logger, batch[acked.Count].MessageId, connection.Topics.Counts(batch[acked.Count].CameraId), ex.Message, pause.Value.TotalSeconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Connection lost mid-batch: what was acknowledged is deleted below, the rest goes after reconnecting.
            Log.PublishInterrupted(logger, ex.Message);
            reconnect = !connection.IsConnected;
        }
        finally
        {
            outbox.Delete(acked);
            if (acked.Count > 0)
            {
                Interlocked.Exchange(ref _lastPublishTicks, time.GetUtcNow().UtcTicks);
                Log.Published(logger, acked.Count, outbox.Stats().Backlog);
            }
        }
        if (pause is { } wait) await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        if (reconnect) await connection.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        return acked.Count;
    }

    /// <inheritdoc />
    public void Dispose() => _drain.Dispose();
}

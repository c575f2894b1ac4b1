using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;
using Polly.Retry;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Broker;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Ingest;

/// <summary>
/// One ingest instance: a persistent MQTT 5 session (clean start off) in a shared-subscription group, a channel of
/// parsed messages, and writers that commit them in batches and only then acknowledge them (MQTTnet's manual
/// acknowledgement). Delivery is at least once end to end, and the database keeps one row per record, so the
/// result is exactly once. While the database is down, nothing is acknowledged and the broker keeps the rest.
/// </summary>
/// <remarks>
/// One writer, one transaction at a time: batches of the same cameras written side by side would only wait for each
/// other's ledger rows (measured: two writers were slower than one). The acknowledgements of a committed batch are
/// sent by a loop of their own while the next batch is written, in the order the messages arrived (MQTT 5 asks for
/// PUBACKs in that order).
/// </remarks>
internal sealed class IngestService : IAsyncDisposable
{
    private readonly BrokerEndpoint _broker;
    private readonly IngestOptions _options;
    private readonly BatchWriter _writer;
    private readonly LedgerRefresher _ledger;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly Channel<Inbound> _inbox;
    private readonly ResiliencePipeline _retry;
    // Held while connecting and while acknowledging: a delivery is acknowledged only on the connection it came on.
    private readonly SemaphoreSlim _connectionGate = new(1, 1);
    private readonly SemaphoreSlim _disconnected = new(0, 1);
    private long _generation, _stored, _duplicates, _rejected, _droppedQos0;

    private readonly GapRepair _gaps;

    public IngestService(BrokerEndpoint broker, IngestOptions options, FleetStore store, ECDsa? resendKey, TimeProvider time, ILoggerFactory loggers)
    {
        _gaps = new GapRepair(new ResendRequests(store, options.ClientId), options, resendKey, time);
        _broker = broker;
        _options = options;
        _writer = new BatchWriter(store, options.ClientId);
        _ledger = new LedgerRefresher(store);
        _time = time;
        _logger = loggers.CreateLogger("WorkerPool.Fleet.Ingest");
        _client = new MqttClientFactory().CreateMqttClient();
        // Room for everything the broker may have in flight, plus heartbeats (QoS 0, dropped first when full).
        _inbox = Channel.CreateBounded<Inbound>(new BoundedChannelOptions(options.ReceiveMaximum + 1000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(15),
            OnRetry = a =>
            {
                if (_logger.IsEnabled(LogLevel.Warning)) IngestLog.WriteFailed(_logger, a.Context.Properties.GetValue(BatchSize, 0), a.AttemptNumber + 1, a.RetryDelay.TotalSeconds, a.Outcome.Exception);
                return default;
            },
        }).Build();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected && _logger.IsEnabled(LogLevel.Warning)) IngestLog.Disconnected(_logger, e.ReasonString ?? e.Reason.ToString());
            if (_disconnected.CurrentCount == 0) _disconnected.Release();
            return Task.CompletedTask;
        };
    }

    private static readonly ResiliencePropertyKey<int> BatchSize = new("batch-size");

    /// <summary>Records newly stored by this instance.</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Runs until <paramref name="token"/> is cancelled; then finishes the batch in hand and leaves the session for the next start.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var connection = KeepConnectedAsync(stop.Token);
        var ledger = RefreshLedgerAsync(stop.Token);
        var repair = RepairGapsAsync(stop.Token);
        try
        {
            await WriteLoopAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(Quietly(connection), Quietly(ledger), Quietly(repair)).ConfigureAwait(false);
            if (_client.IsConnected)
            {
                // Keep the session: what was not acknowledged is delivered again to the next start.
                try { await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None).ConfigureAwait(false); }
                catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException) { }
            }
            long duplicates = Interlocked.Read(ref _duplicates), rejected = Interlocked.Read(ref _rejected);
            IngestLog.Stopped(_logger, Stored, duplicates, rejected);
        }
    }

    private static async Task Quietly(Task task)
    {
        try { await task.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private async Task KeepConnectedAsync(CancellationToken token)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!token.IsCancellationRequested)
        {
            if (!_client.IsConnected)
            {
                await _connectionGate.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    Interlocked.Increment(ref _generation);
                    var options = _broker.Options(_options.ClientId).WithCleanStart(false)
                        .WithSessionExpiryInterval((uint)_options.SessionExpiry.TotalSeconds)
                        .WithReceiveMaximum(_options.ReceiveMaximum).Build();
                    // Bursts of small messages and acknowledgements: buffered both ways (BufferedSocketStream).
                    if (options.ChannelOptions is MqttClientTcpOptions tcp) tcp.StreamProvider = new BufferedStreamProvider();
                    var result = await _client.ConnectAsync(options, token).ConfigureAwait(false);
                    await SubscribeAsync(token).ConfigureAwait(false);
                    IngestLog.Connected(_logger, _options.ClientId, result.IsSessionPresent, _options.Group);
                    delay = TimeSpan.FromSeconds(1);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    IngestLog.ConnectFailed(_logger, delay.TotalSeconds, ex);
                    _connectionGate.Release();
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                    continue;
                }
                _connectionGate.Release();
            }
            await _disconnected.WaitAsync(TimeSpan.FromSeconds(5), token).ConfigureAwait(false);
        }
    }

    private async Task SubscribeAsync(CancellationToken token)
    {
        string share = $"$share/{_options.Group}/";
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            // Counts and heartbeats are split across the group's instances.
            .WithTopicFilter(share + Topics.AllDevices(_options.Prefix, DeviceTopic.Counts), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(share + Topics.AllDevices(_options.Prefix, DeviceTopic.Heartbeat), MqttQualityOfServiceLevel.AtMostOnce)
            // Status and config reports are retained, and a broker gives retained messages only to plain
            // subscriptions: every instance reads them (few, and idempotent to write).
            .WithTopicFilter(Topics.AllDevices(_options.Prefix, DeviceTopic.Status), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.AllDevices(_options.Prefix, DeviceTopic.ConfigReported), MqttQualityOfServiceLevel.AtLeastOnce)
            // The devices' answers to this instance's resend requests.
            .WithTopicFilter($"{_options.Prefix}/+/replies/{_gaps.Requester}", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var result = await _client.SubscribeAsync(subscribe, token).ConfigureAwait(false);
        foreach (var item in result.Items)
            if ((int)item.ResultCode > (int)MqttClientSubscribeResultCode.GrantedQoS2)
                IngestLog.SubscribeRefused(_logger, item.TopicFilter.Topic, item.ResultCode.ToString());
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var message = e.ApplicationMessage;
        if (message.Topic.EndsWith("/replies/" + _gaps.Requester, StringComparison.Ordinal))
        {
            string reply = message.ConvertPayloadToString();
            IngestLog.ResendAnswered(_logger, message.Topic, reply);
            return;
        }
        var inbound = InboundParser.Parse(_options.Prefix, message, _time.GetUtcNow().UtcDateTime, out string? error);
        if (inbound is null)
        {
            // Acknowledged as it is: a message that can never be stored must not hold up the ones behind it.
            Interlocked.Increment(ref _rejected);
            IngestLog.Rejected(_logger, message.Topic, error ?? "unreadable");
            return;
        }
        if (message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce)
        {
            if (!_inbox.Writer.TryWrite(inbound)) Interlocked.Increment(ref _droppedQos0);
            return;
        }
        e.AutoAcknowledge = false;
        await _inbox.Writer.WriteAsync(inbound with { Delivery = e, Generation = Interlocked.Read(ref _generation) }).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync(CancellationToken token)
    {
        var reader = _inbox.Reader;
        // Committed batches wait here for their acknowledgements, which go out while the next batch is written.
        var committed = Channel.CreateBounded<List<Inbound>>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        using var ackStop = new CancellationTokenSource();
        var acks = AcknowledgeLoopAsync(committed.Reader, ackStop.Token);
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                // No lingering: what piled up while the last batch committed is the next batch, so batches grow with load.
                var batch = new List<Inbound>(Math.Min(_options.MaxBatch, reader.CanCount ? Math.Max(1, reader.Count) : _options.MaxBatch));
                while (batch.Count < _options.MaxBatch && reader.TryRead(out var next)) batch.Add(next);
                long started = _time.GetTimestamp();
                var result = await WriteWithRetriesAsync(batch, token).ConfigureAwait(false);
                Interlocked.Add(ref _stored, result.Stored);
                Interlocked.Add(ref _duplicates, result.Duplicates);
                double milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
                IngestLog.BatchWritten(_logger, result.Stored, result.Duplicates, batch.Count, milliseconds);
                await committed.Writer.WriteAsync(batch, token).ConfigureAwait(false);
            }
        }
        finally
        {
            // What was committed is still acknowledged on the way out (bounded: the broker sends the rest again).
            committed.Writer.TryComplete();
            ackStop.CancelAfter(TimeSpan.FromSeconds(5));
            await acks.ConfigureAwait(false);
        }
    }

    /// <summary>Writes and commits one batch, trying again (with backoff) for as long as the database fails.</summary>
    private async Task<BatchResult> WriteWithRetriesAsync(List<Inbound> batch, CancellationToken token)
    {
        var context = ResilienceContextPool.Shared.Get(token);
        try
        {
            context.Properties.Set(BatchSize, batch.Count);
            return await _retry.ExecuteAsync(async (c, b) => await _writer.WriteAsync(b, c.CancellationToken).ConfigureAwait(false), context, batch).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task AcknowledgeLoopAsync(ChannelReader<List<Inbound>> committed, CancellationToken token)
    {
        try
        {
            await foreach (var batch in committed.ReadAllAsync(token).ConfigureAwait(false))
            {
                try { await AcknowledgeAsync(batch, token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is not OperationCanceledException) { IngestLog.AcknowledgeFailed(_logger, batch.Count, ex); }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
    }

    private async Task AcknowledgeAsync(List<Inbound> batch, CancellationToken token)
    {
        await _connectionGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            long generation = Interlocked.Read(ref _generation);
            foreach (var m in batch)
            {
                if (m.Delivery is not { } delivery) continue;
                if (m.Generation != generation || !_client.IsConnected) { IngestLog.StaleDelivery(_logger); continue; }
                try { await delivery.AcknowledgeAsync(token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException) { IngestLog.StaleDelivery(_logger); }
            }
        }
        finally
        {
            _connectionGate.Release();
        }
    }

    private async Task RefreshLedgerAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(_options.LedgerInterval, _time, token).ConfigureAwait(false);
            try { await _ledger.RefreshAllAsync(token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException) { IngestLog.LedgerFailed(_logger, ex); }
        }
    }

    private async Task RepairGapsAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(_options.GapCheckInterval, _time, token).ConfigureAwait(false);
            if (!_client.IsConnected) continue;
            try
            {
                foreach (var command in await _gaps.DueCommandsAsync(token).ConfigureAwait(false))
                {
                    await _client.PublishAsync(command, token).ConfigureAwait(false);
                    string request = command.ConvertPayloadToString();
                    IngestLog.ResendRequested(_logger, command.Topic, request);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException) { IngestLog.GapRepairFailed(_logger, ex); }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _connectionGate.Dispose();
        _disconnected.Dispose();
        return default;
    }
}

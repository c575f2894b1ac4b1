using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;

namespace WorkerPool.Software;

/// <summary>
/// Relays where the device's software stands to the retained <c>software</c> topic: read from the update folder's
/// state file (the root helper writes it while it downloads and installs; the service when it refuses), every two
/// seconds and on every connect, so a state reached while the broker was away, or just before a restart, still
/// goes out. The heartbeat carries the same state.
/// </summary>
public sealed class SoftwareStateReporter : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private readonly UpdateSpool _spool;
    private readonly MqttConnection _connection;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _running;
    private readonly SemaphoreSlim _one = new(1, 1);
    private SoftwareState? _published;
    private SoftwareState _current;

    /// <summary>Creates the reporter for the device running <paramref name="build"/>.</summary>
    public SoftwareStateReporter(UpdateSpool spool, MqttConnection connection, BuildInfo build, TimeProvider time, ILoggerFactory loggers)
    {
        _spool = spool;
        _connection = connection;
        _time = time;
        _logger = loggers.CreateLogger(LogCategories.Software);
        _running = build.FullVersion;
        _current = Read();
    }

    /// <summary>The state now, as last read.</summary>
    public SoftwareState Current => Volatile.Read(ref _current);

    /// <summary>Reads the state file again and publishes it when it changed (after the service wrote one itself).</summary>
    public Task RefreshAsync() => PublishAsync(force: false);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // As the heartbeat does: subscribed while running, and the session may already be up by now.
        _connection.Connected += OnConnectedAsync;
        try
        {
            await PublishAsync(force: false).ConfigureAwait(false);
            using var timer = new PeriodicTimer(Poll, _time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                await PublishAsync(force: false).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _connection.Connected -= OnConnectedAsync;
        }
    }

    private Task OnConnectedAsync() => PublishAsync(force: true);

    private SoftwareState Read() => _spool.ReadState(_running) ?? new SoftwareState("idle", null, _running, null, null, null);

    private async Task PublishAsync(bool force)
    {
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            var state = Read();
            if (state != Volatile.Read(ref _current)) SoftwareLog.StateChanged(_logger, state.State, state.Version, state.Reason);
            Volatile.Write(ref _current, state);
            if ((!force && state == _published) || !_connection.IsConnected) return;
            try
            {
                await _connection.PublishAsync(new MqttApplicationMessageBuilder()
                    .WithTopic(_connection.Topics.Software)
                    .WithPayload(JsonSerializer.SerializeToUtf8Bytes(state, ContractJsonContext.Default.SoftwareState))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithRetainFlag()
                    .WithContentType("application/json")
                    .Build(), CancellationToken.None).ConfigureAwait(false);
                _published = state;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The broker went away mid-publish: the next connect publishes it again.
                _published = null;
            }
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _one.Dispose();
        base.Dispose();
    }
}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;
using WorkerPool.Health;
using WorkerPool.Outbox;
using WorkerPool.Control;

namespace WorkerPool.Messaging;

/// <summary>
/// Sends a heartbeat every <see cref="MqttOptions.HeartbeatSeconds"/> while connected, and one at once on every
/// (re)connect. Heartbeats are never queued: offline, they are simply not sent.
/// </summary>
public sealed class HeartbeatPublisher(DeviceConfig config, MqttConnection connection, CountOutbox outbox, OutboxPublisher publisher,
    IDeviceControl control, SystemMetrics system, string version, Func<string> configVersion, TimeProvider time, ILogger logger,
    HealthMonitor? health = null, ThermalGovernor? thermal = null, IHostClock? clock = null)
{
    /// <summary>The service's heartbeat.</summary>
    public HeartbeatPublisher(DeviceConfig config, MqttConnection connection, CountOutbox outbox, OutboxPublisher publisher, IDeviceControl control,
        SystemMetrics system, BuildInfo build, IConfigVersion configVersion, TimeProvider time, ILoggerFactory loggers,
        HealthMonitor health, ThermalGovernor thermal, IHostClock clock)
        : this(config, connection, outbox, publisher, control, system, build.Version, () => configVersion.ConfigVersion, time, loggers.CreateLogger(LogCategories.Mqtt), health, thermal, clock)
    {
    }

    private readonly string _outboxPath = config.ResolvePath(config.Outbox.Path);

    /// <summary>Sends heartbeats until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        connection.Connected += OnConnectedAsync;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(config.Mqtt.HeartbeatSeconds), time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                if (connection.IsConnected) await SendAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        finally
        {
            connection.Connected -= OnConnectedAsync;
        }
    }

    private Task OnConnectedAsync() => SendAsync(CancellationToken.None);

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        try
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(connection.Topics.Heartbeat)
                .WithPayload(JsonSerializer.SerializeToUtf8Bytes(Build(), ContractJsonContext.Default.HeartbeatPayload))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce)
                .WithContentType("application/json")
                .Build();
            await connection.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.HeartbeatFailed(logger, ex.Message);
        }
    }

    /// <summary>The current heartbeat.</summary>
    public HeartbeatPayload Build()
    {
        var now = time.GetUtcNow();
        var status = control.Status();
        var cameras = status.Cameras.Select(c => new CameraPayload(c.Id, c.Capture.State.ToString().ToLowerInvariant(), c.Capture.LastError,
            c.Capture.MeasuredFps, c.TargetFps, c.Capture.FramesRead, c.Capture.FramesAdmitted, c.Capture.FramesSkipped, c.Capture.FramesLost)).ToArray();
        var workers = status.Workers.Select(w => new WorkerPayload(w.Index, w.RequestedDevice, w.ActiveDevice, w.FallbackReason, w.Cores, w.State,
            Math.Round(w.Metrics.BusyFraction, 3), w.Metrics.Processed, w.Metrics.Failed, w.Metrics.Replacements,
            Math.Round(w.Metrics.LatencyP50Ms, 2), Math.Round(w.Metrics.LatencyP99Ms, 2))).ToArray();
        var o = outbox.Stats();
        return new HeartbeatPayload(
            config.DeviceId, now, version, configVersion(), connection.BootTime, Math.Round((now - connection.BootTime).TotalSeconds, 1),
            new SystemPayload(system.Load1(), Environment.ProcessorCount, Environment.WorkingSet, SystemMetrics.DiskFree(_outboxPath),
                system.Temperatures().Select(t => new TemperaturePayload(t.Zone, t.Type, t.Celsius)).ToArray()),
            cameras, workers, status.QueueDepth,
            new OutboxPayload(o.Backlog, o.OldestAgeSeconds, o.Bytes, o.DroppedByRetention, o.PendingInMemory, o.LostUnstored, o.LastError, o.Quarantined),
            publisher.LastPublishAt,
            new HealthPayload((health?.Current.State ?? HealthState.Starting).ToString().ToLowerInvariant(), health?.Current.Reason),
            new ThermalPayload(thermal?.Celsius, thermal?.Zone, control.Config.Thermal.ThrottleCelsius, thermal?.Level ?? 0, thermal?.Percent ?? 100),
            new ClockPayload((clock ?? LinuxHostClock.Instance).Synchronized),
            new SecurityPayload(!string.IsNullOrEmpty(config.Security?.FleetPublicKey)));
    }
}

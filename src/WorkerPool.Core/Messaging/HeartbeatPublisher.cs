using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>
/// Sends the heartbeat every <see cref="MqttOptions.HeartbeatSeconds"/> while connected, and one at once on every
/// (re)connect. Heartbeats are never queued: offline, they are simply not sent.
/// </summary>
public sealed class HeartbeatPublisher(MqttConnection connection, HeartbeatAssembler heartbeat, TimeSpan every, TimeProvider time, ILogger logger)
{
    /// <summary>The service's heartbeat, at the config's interval.</summary>
    public HeartbeatPublisher(MqttConnection connection, HeartbeatAssembler heartbeat, DeviceConfig config, TimeProvider time, ILoggerFactory loggers)
        : this(connection, heartbeat, TimeSpan.FromSeconds(config.Mqtt.HeartbeatSeconds), time, loggers.CreateLogger(LogCategories.Mqtt))
    {
    }

    /// <summary>Sends heartbeats until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        connection.Connected += OnConnectedAsync;
        try
        {
            using var timer = new PeriodicTimer(every, time);
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
                .WithPayload(JsonSerializer.SerializeToUtf8Bytes(heartbeat.Assemble(), ContractJsonContext.Default.HeartbeatPayload))
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
}

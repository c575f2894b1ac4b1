using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;
using WorkerPool.Control;

namespace WorkerPool.RemoteConfig;

/// <summary>
/// Listens on <c>config/desired</c> (retained by the fleet side, so a device that was offline gets the latest on
/// connect), decides with <see cref="DesiredConfigProcessor"/>, applies through the <see cref="IDeviceControl"/>,
/// and answers on <c>config/reported</c>: retained when applied; a refusal (garbage, a redelivered retained config)
/// goes to the subscribers of the moment and leaves the retained report as it is.
/// </summary>
public sealed class RemoteConfigService : ITopicHandler
{
    private readonly MqttConnection _connection;
    private readonly DesiredConfigProcessor _processor;
    private readonly IDeviceControl _control;
    private readonly ILogger _logger;
    private readonly object _chain = new();
    private Task _tail = Task.CompletedTask; // the desired configs in arrival order, one at a time

    /// <summary>Creates the service; <see cref="MqttService"/> subscribes it.</summary>
    public RemoteConfigService(MqttConnection connection, DesiredConfigProcessor processor, IDeviceControl control, ILoggerFactory loggers)
    {
        _connection = connection;
        _processor = processor;
        _control = control;
        _logger = loggers.CreateLogger(LogCategories.RemoteConfig);
        Topic = connection.Topics.ConfigDesired;
    }

    /// <inheritdoc />
    public string Topic { get; }

    /// <inheritdoc />
    public Task HandleAsync(MqttApplicationMessage message)
    {
        var payload = message.Payload;
        if (payload.Length == 0) return Task.CompletedTask; // a cleared retained message: nothing desired
        byte[] bytes = payload.ToArray();
        // Processed off MQTTnet's message path: a broker move disconnects this very client, and its disconnect waits
        // for the message handler that is running. Still one at a time, in the order they came.
        lock (_chain) _tail = ProcessAfterAsync(_tail, bytes);
        return Task.CompletedTask;
    }

    private async Task ProcessAfterAsync(Task previous, byte[] payload)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            var reported = await _processor.ProcessAsync(payload, next => _control.ApplyConfigAsync(next), _connection).ConfigureAwait(false);
            if (reported.Status == "applied") Log.DesiredConfigApplied(_logger, reported.Version, reported.Status);
            else Log.DesiredConfigRefused(_logger, reported.Version, reported.Status, string.Join("; ", reported.Errors));
            // After a move that did not hold, the session may still be coming back to the old broker.
            using (var back = new CancellationTokenSource(TimeSpan.FromSeconds(_processor.Effective.Mqtt.SwitchTimeoutSeconds)))
            {
                try { await _connection.WaitConnectedAsync(back.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { } // the publish below says why
            }
            await _connection.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(_connection.Topics.ConfigReported)
                .WithPayload(JsonSerializer.SerializeToUtf8Bytes(reported, ContractJsonContext.Default.ReportedConfig))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(reported.Status == "applied") // the retained report keeps saying what is applied
                .WithContentType("application/json")
                .Build(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.MessageHandlerFailed(_logger, ex, Topic);
        }
    }
}

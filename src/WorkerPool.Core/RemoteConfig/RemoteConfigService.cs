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
public sealed class RemoteConfigService : ITopicHandler, IDisposable
{
    private readonly MqttConnection _connection;
    private readonly DesiredConfigProcessor _processor;
    private readonly IDeviceControl _control;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _one = new(1, 1);

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
    public async Task HandleAsync(MqttApplicationMessage message)
    {
        var payload = message.Payload;
        if (payload.Length == 0) return; // a cleared retained message: nothing desired
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            var reported = await _processor.ProcessAsync(payload.ToArray(), next => _control.ApplyConfigAsync(next)).ConfigureAwait(false);
            if (reported.Status == "applied") Log.DesiredConfigApplied(_logger, reported.Version, reported.Status);
            else Log.DesiredConfigRefused(_logger, reported.Version, reported.Status, string.Join("; ", reported.Errors));
            await _connection.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(_connection.Topics.ConfigReported)
                .WithPayload(JsonSerializer.SerializeToUtf8Bytes(reported, ContractJsonContext.Default.ReportedConfig))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(reported.Status == "applied") // the retained report keeps saying what is applied
                .WithContentType("application/json")
                .Build(), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();
}

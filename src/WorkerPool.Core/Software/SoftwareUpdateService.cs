using System.Buffers;
using Microsoft.Extensions.Logging;
using MQTTnet;
using WorkerPool.Contracts;
using WorkerPool.Control;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;

namespace WorkerPool.Software;

/// <summary>
/// Listens on <c>software/desired</c> (retained per device by <c>workerpool-fleet rollout</c>): decides with
/// <see cref="DesiredSoftware"/>, records the state, and hands a release to install to the root helper through the
/// <see cref="UpdateSpool"/>. The service itself never installs anything: it stays unprivileged.
/// </summary>
public sealed class SoftwareUpdateService : ITopicHandler, IDisposable
{
    private readonly DesiredSoftware _decide;
    private readonly UpdateSpool _spool;
    private readonly SoftwareStateReporter _reporter;
    private readonly IDeviceControl _control;
    private readonly string _running;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>Creates the service; <see cref="MqttService"/> subscribes it.</summary>
    public SoftwareUpdateService(MqttConnection connection, DesiredSoftware decide, UpdateSpool spool, SoftwareStateReporter reporter, IDeviceControl control, BuildInfo build, ILoggerFactory loggers)
    {
        _decide = decide;
        _spool = spool;
        _reporter = reporter;
        _control = control;
        _running = build.FullVersion;
        _logger = loggers.CreateLogger(LogCategories.Software);
        Topic = connection.Topics.SoftwareDesired;
    }

    /// <inheritdoc />
    public string Topic { get; }

    /// <inheritdoc />
    public async Task HandleAsync(MqttApplicationMessage message)
    {
        if (message.Payload.Length == 0) return; // a cleared retained message: nothing desired
        if (message.Payload.Length > 256 * 1024) { SoftwareLog.Ignored(_logger, $"a desired software state of {message.Payload.Length} bytes"); return; }
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            var decision = _decide.Decide(message.Payload.ToArray(), _control.Config, _running, _spool.ReadState(_running));
            if (decision.Note is not null) { SoftwareLog.Ignored(_logger, decision.Note); return; }
            try
            {
                if (decision.Request is { } r)
                {
                    // The state first: a restart between the two then sees the rollout as handled, not as new.
                    if (decision.State is not null) _spool.WriteState(decision.State);
                    _spool.WriteRequest(UpdateAction.Update, r.Rollout, r.Version, r.Url, r.Manifest, r.ManifestSignature);
                    SoftwareLog.Requested(_logger, r.Rollout, r.Version);
                }
                else if (decision.State is { } state)
                {
                    _spool.WriteState(state);
                    if (state.State == "refused") SoftwareLog.Refused(_logger, state.Rollout ?? "", state.Version, state.Reason);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                SoftwareLog.SpoolFailed(_logger, _spool.Directory, ex.Message);
            }
            await _reporter.RefreshAsync().ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Asks the root helper for an operator's rollback or decommission; the reason when it cannot.</summary>
    public async Task<string?> RequestAsync(UpdateAction action)
    {
        if (!_control.Config.Updates.Enabled) return "remote updates are off on this device (updates.enabled), and so is the update helper";
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            _spool.WriteRequest(action);
            SoftwareLog.OperatorRequest(_logger, action.ToString().ToLowerInvariant());
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SoftwareLog.SpoolFailed(_logger, _spool.Directory, ex.Message);
            return $"cannot write to {_spool.Directory}: {ex.Message}";
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();
}

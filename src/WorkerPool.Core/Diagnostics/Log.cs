using Microsoft.Extensions.Logging;

namespace WorkerPool.Diagnostics;

/// <summary>
/// Every log line of the library, source-generated. Event ids by component: capture 1000, inference 2000,
/// tracking and counting 3000, outbox 4000, mqtt 5000, host 6000, health 7000.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Camera {CameraId} connected ({Kind}, {Width}x{Height})")]
    public static partial void CameraConnected(ILogger logger, string cameraId, string kind, int width, int height);

    [LoggerMessage(1001, LogLevel.Warning, "Camera {CameraId} failed: {Error}; reconnecting")]
    public static partial void CameraFailed(ILogger logger, string cameraId, string error);

    [LoggerMessage(1002, LogLevel.Information, "Camera {CameraId} reached the end of its video after {Frames} frames")]
    public static partial void CameraEnded(ILogger logger, string cameraId, long frames);

    [LoggerMessage(1003, LogLevel.Information, "Camera {CameraId} looping its video")]
    public static partial void CameraLooped(ILogger logger, string cameraId);

    [LoggerMessage(1004, LogLevel.Warning, "Camera {CameraId} stalled: no frame for {Seconds} s; restarting its reader")]
    public static partial void CameraStalled(ILogger logger, string cameraId, int seconds);

    [LoggerMessage(1005, LogLevel.Debug, "Camera {CameraId} dropped frame {Sequence}: pool behind")]
    public static partial void FrameDropped(ILogger logger, string cameraId, long sequence);

    [LoggerMessage(1006, LogLevel.Warning, "Camera {CameraId} reader flooded stderr ({Lines} lines in {Seconds} s); restarting it")]
    public static partial void CameraErrorFlood(ILogger logger, string cameraId, int lines, int seconds);

    [LoggerMessage(2000, LogLevel.Information, "Worker {Index} ready on {Device}, CPUs {Cpus}")]
    public static partial void WorkerStarted(ILogger logger, int index, string device, string cpus);

    [LoggerMessage(2001, LogLevel.Warning, "Worker asked for {Device}: {Reason}")]
    public static partial void DeviceFallback(ILogger logger, string device, string reason);

    [LoggerMessage(2002, LogLevel.Error, "Worker {Index} inference failed on camera {CameraId} frame {Sequence}")]
    public static partial void InferenceFailed(ILogger logger, Exception ex, int index, string cameraId, long sequence);

    [LoggerMessage(2003, LogLevel.Error, "Worker {Index} inference on camera {CameraId} frame {Sequence} exceeded {TimeoutMs} ms")]
    public static partial void InferenceTimedOut(ILogger logger, int index, string cameraId, long sequence, int timeoutMs);

    [LoggerMessage(2004, LogLevel.Warning, "Worker {Index} replaced: {Reason}")]
    public static partial void WorkerReplaced(ILogger logger, int index, string reason);

    [LoggerMessage(2005, LogLevel.Error, "Worker {Index} could not load its model")]
    public static partial void WorkerLoadFailed(ILogger logger, Exception ex, int index);

    [LoggerMessage(2010, LogLevel.Information, "First frame counted (camera {CameraId}) {Milliseconds:0} ms after the process started")]
    public static partial void FirstFrame(ILogger logger, string cameraId, double milliseconds);

    [LoggerMessage(3001, LogLevel.Error, "Count sink failed for camera {CameraId}; the record is kept in the log")]
    public static partial void SinkFailed(ILogger logger, Exception ex, string cameraId);

    [LoggerMessage(3002, LogLevel.Error, "Counting stage failed on camera {CameraId}")]
    public static partial void CountingFailed(ILogger logger, Exception ex, string cameraId);

    [LoggerMessage(4000, LogLevel.Error, "Outbox {Path} could not be opened and was moved to {Aside}; a new one was created")]
    public static partial void OutboxQuarantined(ILogger logger, Exception ex, string path, string aside);

    [LoggerMessage(4001, LogLevel.Error, "Outbox write failed; {Pending} record(s) held in memory until storage works again")]
    public static partial void OutboxWriteFailed(ILogger logger, Exception ex, int pending);

    [LoggerMessage(4002, LogLevel.Warning, "Outbox retention dropped {ByAge} record(s) by age and {BySize} by count/size limits ({Total} dropped in all)")]
    public static partial void OutboxRetentionDropped(ILogger logger, long byAge, long bySize, long total);

    [LoggerMessage(4003, LogLevel.Error, "Outbox memory buffer full: record {CameraId} seq {Seq} was lost ({Lost} lost before storage in all)")]
    public static partial void OutboxPendingOverflow(ILogger logger, string cameraId, long seq, long lost);

    [LoggerMessage(4006, LogLevel.Error, "{Count} record(s) of camera {CameraId} (seq {From} to {To}) were held in memory when the service last stopped and are lost")]
    public static partial void OutboxLostAtStart(ILogger logger, long count, string cameraId, long from, long to);

    [LoggerMessage(4007, LogLevel.Error, "{Count} record(s) could not be stored before the service stopped; they are lost (counted at the next start)")]
    public static partial void OutboxLostAtStop(ILogger logger, int count);

    [LoggerMessage(4012, LogLevel.Error, "Outbox storage has not answered for 10 s; closing without it (records held in memory are counted lost at the next start)")]
    public static partial void OutboxStuckAtStop(ILogger logger);

    [LoggerMessage(4008, LogLevel.Warning, "Outbox cannot be read or cleaned up: {Error}; publishing waits until it can")]
    public static partial void OutboxReadFailed(ILogger logger, string error);

    [LoggerMessage(4009, LogLevel.Information, "Outbox storage can be read again")]
    public static partial void OutboxReadable(ILogger logger);

    [LoggerMessage(4010, LogLevel.Information, "Outbox storage works again: {Stored} held record(s) stored")]
    public static partial void OutboxRecovered(ILogger logger, int stored);

    [LoggerMessage(4013, LogLevel.Debug, "Outbox archive: {Count} acknowledged record(s) older than outbox.archiveHours pruned ({Left} kept)")]
    public static partial void OutboxArchivePruned(ILogger logger, long count, long left);

    [LoggerMessage(4014, LogLevel.Information, "Outbox archive: {Count} acknowledged record(s) dropped to make room ({Reason}); they can no longer be resent")]
    public static partial void OutboxArchiveDropped(ILogger logger, long count, string reason);

    [LoggerMessage(4011, LogLevel.Warning, "Outbox sequence ledger not written; a record lost from memory now could leave no gap")]
    public static partial void OutboxLedgerFailed(ILogger logger, Exception ex);

    [LoggerMessage(4005, LogLevel.Warning, "Outbox records are committed but could not be forced to disk; a power cut now could lose them")]
    public static partial void OutboxSyncFailed(ILogger logger, Exception ex);

    [LoggerMessage(4004, LogLevel.Information, "Stored count record {CameraId} seq {Seq} ({MessageId})")]
    public static partial void OutboxAppended(ILogger logger, string cameraId, long seq, string messageId);

    [LoggerMessage(6101, LogLevel.Debug, "Crossing on camera {CameraId}, line {LineId}: {Direction}, track {TrackId}")]
    public static partial void LineCrossed(ILogger logger, string cameraId, string lineId, string direction, int trackId);

    [LoggerMessage(4015, LogLevel.Warning, "Camera {CameraId}'s window from {WindowStart:o} was interrupted (the service stopped without closing it): closed from its checkpoint as partial, {Crossings} crossing(s), {Frames} frame(s) processed")]
    public static partial void OutboxWindowRecovered(ILogger logger, string cameraId, DateTimeOffset windowStart, long crossings, long frames);

    [LoggerMessage(4016, LogLevel.Error, "An interrupted window's checkpoint ({Id}) could not be read and is discarded: what it held is lost")]
    public static partial void OutboxCheckpointUnreadable(ILogger logger, string id);


    [LoggerMessage(5000, LogLevel.Information, "MQTT connected to {Host}:{Port} as {ClientId}")]
    public static partial void MqttConnected(ILogger logger, string host, int port, string clientId);

    [LoggerMessage(5001, LogLevel.Warning, "MQTT connect to {Host}:{Port} failed: {Error}; next try in {DelaySeconds:0.0} s")]
    public static partial void MqttConnectFailed(ILogger logger, string host, int port, string error, double delaySeconds);

    [LoggerMessage(5002, LogLevel.Warning, "MQTT disconnected: {Reason}; reconnecting")]
    public static partial void MqttDisconnected(ILogger logger, string reason);

    [LoggerMessage(5003, LogLevel.Warning, "MQTT: {Error}")]
    public static partial void MqttWarning(ILogger logger, string error);

    [LoggerMessage(5011, LogLevel.Information, "MQTT moving from {OldHost}:{OldPort} to {NewHost}:{NewPort} (its test connection succeeded)")]
    public static partial void MqttSwitching(ILogger logger, string oldHost, int oldPort, string newHost, int newPort);

    [LoggerMessage(5012, LogLevel.Warning, "MQTT move failed: {Reason}; back to {OldHost}:{OldPort}")]
    public static partial void MqttSwitchReverted(ILogger logger, string reason, string oldHost, int oldPort);

    [LoggerMessage(5004, LogLevel.Warning, "Broker refused count record {MessageId} on {Topic}: {Reason}; retrying later")]
    public static partial void PublishRefused(ILogger logger, string messageId, string topic, string reason);

    [LoggerMessage(5005, LogLevel.Debug, "Publishing interrupted: {Error}")]
    public static partial void PublishInterrupted(ILogger logger, string error);

    [LoggerMessage(5006, LogLevel.Information, "Published {Count} count record(s); backlog {Backlog}")]
    public static partial void Published(ILogger logger, int count, long backlog);

    [LoggerMessage(5007, LogLevel.Debug, "Heartbeat not sent: {Error}")]
    public static partial void HeartbeatFailed(ILogger logger, string error);

    [LoggerMessage(5009, LogLevel.Warning, "Count record {MessageId} on {Topic}: {Error}; it stays in the outbox, next try in {DelaySeconds:0.0} s")]
    public static partial void PublishNotAcknowledged(ILogger logger, string messageId, string topic, string error, double delaySeconds);

    [LoggerMessage(5008, LogLevel.Error, "Handling a message on {Topic} failed")]
    public static partial void MessageHandlerFailed(ILogger logger, Exception ex, string topic);

    [LoggerMessage(5100, LogLevel.Information, "Desired config version {Version}: {Status}")]
    public static partial void DesiredConfigApplied(ILogger logger, long version, string status);

    [LoggerMessage(5101, LogLevel.Warning, "Desired config version {Version} {Status}: {Errors}")]
    public static partial void DesiredConfigRefused(ILogger logger, long version, string status, string errors);

    [LoggerMessage(5200, LogLevel.Warning, "Command {Name} refused: {Reason}")]
    public static partial void CommandRejected(ILogger logger, string name, string reason);

    [LoggerMessage(5201, LogLevel.Information, "Resent {Resent} count record(s) of camera {CameraId}, seq {From} to {To}; {Missing} not in the archive")]
    public static partial void RecordsResent(ILogger logger, int resent, string cameraId, long from, long to, long missing);

    [LoggerMessage(7000, LogLevel.Warning, "Health {State}: {Reason}")]
    public static partial void HealthChanged(ILogger logger, string state, string reason);

    [LoggerMessage(7001, LogLevel.Information, "Health {State}")]
    public static partial void HealthRecovered(ILogger logger, string state);

    [LoggerMessage(7002, LogLevel.Warning, "Health file {Path} not written: {Error}")]
    public static partial void HealthFileFailed(ILogger logger, string path, string error);

    [LoggerMessage(7004, LogLevel.Error, "Health check failed; this round's watchdog ping is skipped")]
    public static partial void HealthCheckFailed(ILogger logger, Exception ex);

    [LoggerMessage(7003, LogLevel.Information, "systemd watchdog on: pinging every {Seconds} s while the pipeline is healthy")]
    public static partial void WatchdogEnabled(ILogger logger, double seconds);

    [LoggerMessage(7010, LogLevel.Information, "Status LED on GPIO chip {Chip} line {Line}")]
    public static partial void StatusLedReady(ILogger logger, int chip, int line);

    [LoggerMessage(7011, LogLevel.Information, "Status LED (GPIO chip {Chip} line {Line}) off: {Reason}")]
    public static partial void StatusLedUnavailable(ILogger logger, int chip, int line, string reason);

    [LoggerMessage(7012, LogLevel.Warning, "Status LED off: writing its GPIO line failed: {Error}")]
    public static partial void StatusLedFailed(ILogger logger, string error);

    [LoggerMessage(7020, LogLevel.Warning, "SoC at {Celsius} °C ({Zone}): camera sampling lowered to {Percent}% (step {Level})")]
    public static partial void ThermalThrottled(ILogger logger, double celsius, string zone, int percent, int level);

    [LoggerMessage(7021, LogLevel.Information, "SoC at {Celsius} °C ({Zone}): camera sampling raised to {Percent}% (step {Level})")]
    public static partial void ThermalRestored(ILogger logger, double celsius, string zone, int percent, int level);

    [LoggerMessage(7023, LogLevel.Error, "Thermal throttling round failed")]
    public static partial void ThermalFailed(ILogger logger, Exception ex);

    [LoggerMessage(7022, LogLevel.Warning, "Thermal throttling is on but {Root} has no {What}; not throttling until it does")]
    public static partial void ThermalNoSensor(ILogger logger, string root, string what);
}

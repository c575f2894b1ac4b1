namespace WorkerPool.Outbox;

/// <summary>One stored count record, exactly as it will be published.</summary>
/// <param name="Id">Global insertion order (oldest first).</param>
/// <param name="CameraId">Camera the record belongs to (its MQTT topic).</param>
/// <param name="Seq">Per-camera sequence number.</param>
/// <param name="MessageId">UUID of the record.</param>
/// <param name="CreatedAt">When it was stored (UTC).</param>
/// <param name="Payload">The JSON payload.</param>
public sealed record OutboxEntry(long Id, string CameraId, long Seq, string MessageId, DateTime CreatedAt, string Payload);

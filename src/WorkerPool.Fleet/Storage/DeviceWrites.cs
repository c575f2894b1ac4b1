using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Ingest;

namespace WorkerPool.Fleet.Storage;

/// <summary>
/// The per-device rows a batch updates: status, the latest heartbeat (and the loss ranges it reports), config
/// reports. Older news never overwrites newer: each update is guarded by the time it arrived.
/// </summary>
internal static class DeviceWrites
{
    private const string SeenSql = """
        INSERT INTO devices (device_id, first_seen, last_seen) VALUES ($1, $2, $2)
        ON CONFLICT (device_id) DO UPDATE SET last_seen = greatest(devices.last_seen, excluded.last_seen)
        """;

    private const string StatusSql = """
        UPDATE devices SET status = $2, status_reason = $3, status_at = $4, version = coalesce($5, version), boot_time = coalesce($6, boot_time)
        WHERE device_id = $1 AND (status_at IS NULL OR status_at <= $4)
        """;

    private const string HeartbeatSql = """
        UPDATE devices SET last_heartbeat_at = $2, heartbeat_time = $3, health = $4, health_reason = $5, config_version = $6,
            outbox_backlog_prev = outbox_backlog, outbox_backlog = $7, dropped_by_retention = $8, lost_unstored = $9, temperature_c = $10, thermal_level = $11,
            version = $12, boot_time = $13, heartbeat = $14::jsonb
        WHERE device_id = $1 AND (last_heartbeat_at IS NULL OR last_heartbeat_at <= $2)
        """;

    private const string LossSql = """
        INSERT INTO explained_losses (device_id, camera_id, from_seq, to_seq, reason) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT DO NOTHING
        """;

    private const string ReportSql = """
        INSERT INTO config_reports (device_id, version, status, effective_hash, errors, received_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
        ON CONFLICT DO NOTHING
        """;

    /// <summary>Adds the batch's device updates to <paramref name="tx"/>, in one round trip.</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<Inbound> batch, CancellationToken token)
    {
        await using var sql = new NpgsqlBatch(connection, tx);
        // Sorted, so two instances lock device rows in the same order.
        foreach (var seen in batch.GroupBy(m => m.DeviceId).OrderBy(g => g.Key, StringComparer.Ordinal))
            sql.BatchCommands.Add(Command(SeenSql, Text(seen.Key), Time(seen.Max(m => m.ReceivedAt))));
        foreach (var m in batch.OfType<InboundStatus>().OrderBy(m => m.ReceivedAt))
        {
            var s = m.Status;
            sql.BatchCommands.Add(Command(StatusSql, Text(m.DeviceId), Text(s.State), Text(s.Reason), Time(m.ReceivedAt), Text(s.Version), Time(s.BootTime?.UtcDateTime)));
        }
        foreach (var m in batch.OfType<InboundHeartbeat>().GroupBy(m => m.DeviceId).Select(g => g.MaxBy(m => m.ReceivedAt)!))
        {
            var h = m.Heartbeat;
            double? hottest = h.System?.Temperatures is { Count: > 0 } t ? t.Max(x => x.Celsius) : h.Thermal?.Celsius;
            sql.BatchCommands.Add(Command(HeartbeatSql, Text(m.DeviceId), Time(m.ReceivedAt), Time(h.Time.UtcDateTime), Text(h.Health?.State),
                Text(h.Health?.Reason), Text(h.ConfigVersion), Long(h.Outbox?.Backlog), Long(h.Outbox?.DroppedByRetention), Long(h.Outbox?.LostUnstored),
                new NpgsqlParameter<double?> { TypedValue = hottest, NpgsqlDbType = NpgsqlDbType.Double },
                new NpgsqlParameter<int?> { TypedValue = h.Thermal?.Level, NpgsqlDbType = NpgsqlDbType.Integer },
                Text(h.Version), Time(h.BootTime.UtcDateTime), Text(m.Json)));
            foreach (var loss in h.Outbox?.Losses ?? [])
            {
                if (loss is null || loss.FromSeq < 1 || loss.ToSeq < loss.FromSeq) continue;
                sql.BatchCommands.Add(Command(LossSql, Text(m.DeviceId), Text(loss.Camera), Long(loss.FromSeq), Long(loss.ToSeq), Text(loss.Reason)));
            }
        }
        foreach (var m in batch.OfType<InboundConfigReport>())
        {
            var r = m.Report;
            sql.BatchCommands.Add(Command(ReportSql, Text(m.DeviceId), Long(r.Version), Text(r.Status), Text(r.EffectiveHash ?? ""),
                Text(JsonSerializer.Serialize(r.Errors ?? [], ContractJsonContext.Default.IReadOnlyListConfigError)), Time(m.ReceivedAt)));
        }
        if (sql.BatchCommands.Count > 0) await sql.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Command(string text, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(text);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<string?> Text(string? value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter<long?> Long(long? value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bigint };

    private static NpgsqlParameter<DateTime?> Time(DateTime? value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}

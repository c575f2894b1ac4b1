using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Ingest;

namespace WorkerPool.Fleet.Storage;

/// <summary>
/// The per-device rows a batch updates: status, the latest heartbeat (and the loss ranges it reports), config
/// reports. Older news never overwrites newer: each update is guarded by the time it arrived. Last-seen times and
/// heartbeats go in one statement each, whatever the number of devices in the batch (arrays, unnest); status
/// changes, losses and config reports, which are rare, one statement each.
/// </summary>
internal static class DeviceWrites
{
    // Sorted, so two instances lock device rows in the same order.
    private const string SeenSql = """
        INSERT INTO devices (device_id, first_seen, last_seen)
        SELECT device_id, seen, seen FROM unnest($1::text[], $2::timestamptz[]) AS s(device_id, seen) ORDER BY device_id
        ON CONFLICT (device_id) DO UPDATE SET last_seen = greatest(devices.last_seen, excluded.last_seen)
        """;

    private const string StatusSql = """
        UPDATE devices SET status = $2, status_reason = $3, status_at = $4, version = coalesce($5, version), boot_time = coalesce($6, boot_time)
        WHERE device_id = $1 AND (status_at IS NULL OR status_at <= $4)
        """;

    // One row per device (the batch's latest heartbeat of each); the seen rows above exist by then.
    private const string HeartbeatSql = """
        UPDATE devices d SET last_heartbeat_at = h.at, heartbeat_time = h.time, health = h.health, health_reason = h.health_reason,
            config_version = h.config_version, outbox_backlog_prev = d.outbox_backlog, outbox_backlog = h.backlog, dropped_by_retention = h.dropped, lost_unstored = h.lost,
            temperature_c = h.temperature, thermal_level = h.thermal_level, version = h.version, boot_time = h.boot_time, heartbeat = h.json::jsonb
        FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
                    $9::bigint[], $10::double precision[], $11::integer[], $12::text[], $13::timestamptz[], $14::text[])
            AS h(device_id, at, time, health, health_reason, config_version, backlog, dropped, lost, temperature, thermal_level, version, boot_time, json)
        WHERE d.device_id = h.device_id AND (d.last_heartbeat_at IS NULL OR d.last_heartbeat_at <= h.at)
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
        AddTo(sql, batch);
        if (sql.BatchCommands.Count > 0) await sql.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    /// <summary>Adds the batch's device updates to <paramref name="sql"/> (none when it holds no device news).</summary>
    public static void AddTo(NpgsqlBatch sql, IReadOnlyList<Inbound> batch)
    {
        var seen = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var heartbeats = new Dictionary<string, InboundHeartbeat>(StringComparer.Ordinal);
        foreach (var m in batch)
        {
            if (!seen.TryGetValue(m.DeviceId, out var at) || m.ReceivedAt > at) seen[m.DeviceId] = m.ReceivedAt;
            if (m is InboundHeartbeat h && (!heartbeats.TryGetValue(h.DeviceId, out var latest) || h.ReceivedAt > latest.ReceivedAt)) heartbeats[h.DeviceId] = h;
        }
        if (seen.Count > 0) sql.BatchCommands.Add(Command(SeenSql, Texts([.. seen.Keys]), Times([.. seen.Values])));
        foreach (var m in batch.OfType<InboundStatus>().OrderBy(m => m.ReceivedAt))
        {
            var s = m.Status;
            sql.BatchCommands.Add(Command(StatusSql, Text(m.DeviceId), Text(s.State), Text(s.Reason), Time(m.ReceivedAt), Text(s.Version), Time(s.BootTime?.UtcDateTime)));
        }
        if (heartbeats.Count > 0) sql.BatchCommands.Add(HeartbeatCommand([.. heartbeats.Values]));
        foreach (var m in heartbeats.Values)
            foreach (var loss in m.Heartbeat.Outbox?.Losses ?? [])
            {
                if (loss is null || loss.FromSeq < 1 || loss.ToSeq < loss.FromSeq) continue;
                sql.BatchCommands.Add(Command(LossSql, Text(m.DeviceId), Text(loss.Camera), Long(loss.FromSeq), Long(loss.ToSeq), Text(loss.Reason)));
            }
        foreach (var m in batch.OfType<InboundConfigReport>())
        {
            var r = m.Report;
            sql.BatchCommands.Add(Command(ReportSql, Text(m.DeviceId), Long(r.Version), Text(r.Status), Text(r.EffectiveHash ?? ""),
                Text(JsonSerializer.Serialize(r.Errors ?? [], ContractJsonContext.Default.IReadOnlyListConfigError)), Time(m.ReceivedAt)));
        }
    }

    private static NpgsqlBatchCommand HeartbeatCommand(List<InboundHeartbeat> rows)
    {
        int n = rows.Count;
        var ids = new string?[n]; var at = new DateTime?[n]; var time = new DateTime?[n]; var health = new string?[n]; var reason = new string?[n];
        var config = new string?[n]; var backlog = new long?[n]; var dropped = new long?[n]; var lost = new long?[n]; var temperature = new double?[n];
        var level = new int?[n]; var version = new string?[n]; var boot = new DateTime?[n]; var json = new string?[n];
        for (int i = 0; i < n; i++)
        {
            var (m, h) = (rows[i], rows[i].Heartbeat);
            ids[i] = m.DeviceId; at[i] = m.ReceivedAt; time[i] = h.Time.UtcDateTime; health[i] = h.Health?.State; reason[i] = h.Health?.Reason;
            config[i] = h.ConfigVersion; backlog[i] = h.Outbox?.Backlog; dropped[i] = h.Outbox?.DroppedByRetention; lost[i] = h.Outbox?.LostUnstored;
            temperature[i] = h.System?.Temperatures is { Count: > 0 } t ? t.Max(x => x.Celsius) : h.Thermal?.Celsius;
            level[i] = h.Thermal?.Level; version[i] = h.Version; boot[i] = h.BootTime.UtcDateTime; json[i] = m.Json;
        }
        return Command(HeartbeatSql, Texts(ids), Times(at), Times(time), Texts(health), Texts(reason), Texts(config), Longs(backlog), Longs(dropped),
            Longs(lost), new NpgsqlParameter<double?[]> { TypedValue = temperature, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double },
            new NpgsqlParameter<int?[]> { TypedValue = level, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer }, Texts(version), Times(boot), Texts(json));
    }

    private static NpgsqlParameter<string?[]> Texts(string?[] values) => new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter<long?[]> Longs(long?[] values) => new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };

    private static NpgsqlParameter<DateTime?[]> Times(DateTime?[] values) => new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

    private static NpgsqlParameter<DateTime[]> Times(DateTime[] values) => new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

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

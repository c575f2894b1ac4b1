using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Serve;

/// <summary>The dashboard's reads: every one a single SQL query over the ingest's tables.</summary>
internal sealed class DashboardQueries(FleetStore store)
{
    private const string DevicesSql = """
        SELECT device_id, status, status_reason, status_at, extract(epoch FROM now() - last_heartbeat_at)::double precision,
               health, health_reason, temperature_c, thermal_level, outbox_backlog, outbox_backlog_prev, config_version,
               dropped_by_retention, version, coalesce(heartbeat -> 'cameras', '[]'::jsonb)::text
        FROM devices ORDER BY device_id
        """;

    private const string CompletenessSql = """
        SELECT l.device_id, count(*)::integer, sum(l.records)::bigint,
               coalesce(sum(g.unexplained), 0)::integer, coalesce(sum(g.unexplained_missing), 0)::bigint, coalesce(sum(g.explained), 0)::integer
        FROM camera_ledger l
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE NOT x.explained) AS unexplained,
                   sum(x.to_seq - x.from_seq + 1) FILTER (WHERE NOT x.explained) AS unexplained_missing,
                   count(*) FILTER (WHERE x.explained) AS explained
            FROM (SELECT g.from_seq, g.to_seq,
                         fleet_gap_explained(g.device_id, g.camera_id, g.from_seq, g.to_seq) AS explained
                  FROM ledger_gaps g WHERE g.device_id = l.device_id AND g.camera_id = l.camera_id) x
        ) g ON true
        GROUP BY l.device_id ORDER BY l.device_id
        """;

    private const string UnexplainedSql = """
        SELECT g.device_id, g.camera_id, g.from_seq, g.to_seq FROM ledger_gaps g
        WHERE NOT fleet_gap_explained(g.device_id, g.camera_id, g.from_seq, g.to_seq)
        ORDER BY g.device_id, g.camera_id, g.from_seq
        """;

    private const string CountsSql = """
        SELECT date_trunc($1, window_start) AS bucket, device_id || ' / ' || camera_id || ' / ' || line_id,
               sum(in_count + out_count)::double precision
        FROM line_counts WHERE window_start >= now() - $2
        GROUP BY 1, 2 ORDER BY 2, 1
        """;

    private const string OccupancySql = """
        SELECT date_trunc($1, window_start) AS bucket, device_id || ' / ' || camera_id || ' / ' || zone_id, avg(mean)
        FROM zone_stats WHERE window_start >= now() - $2
        GROUP BY 1, 2 ORDER BY 2, 1
        """;

    /// <summary>The fleet table.</summary>
    public async Task<IReadOnlyList<DeviceRow>> DevicesAsync(CancellationToken token)
    {
        var rows = new List<DeviceRow>();
        await using var command = store.Db.CreateCommand(DevicesSql);
        await using var r = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await r.ReadAsync(token).ConfigureAwait(false))
            rows.Add(new DeviceRow(r.GetString(0), Text(r, 1), Text(r, 2), r.IsDBNull(3) ? null : r.GetDateTime(3), r.IsDBNull(4) ? null : r.GetDouble(4),
                Text(r, 5), Text(r, 6), r.IsDBNull(7) ? null : r.GetDouble(7), r.IsDBNull(8) ? null : r.GetInt32(8), r.IsDBNull(9) ? null : r.GetInt64(9),
                r.IsDBNull(10) ? null : r.GetInt64(10), Text(r, 11), r.IsDBNull(12) ? null : r.GetInt64(12), Text(r, 13), Cameras(r.GetString(14))));
        return rows;
    }

    /// <summary>The latest rollouts and where each device stands in them.</summary>
    public async Task<IReadOnlyList<Report.RolloutReport>> RolloutsAsync(CancellationToken token)
    {
        await using var connection = await store.Db.OpenConnectionAsync(token).ConfigureAwait(false);
        return await Report.FleetReportQuery.ReadRolloutsAsync(connection, null, token).ConfigureAwait(false);
    }

    /// <summary>Completeness per device.</summary>
    public async Task<IReadOnlyList<DeviceCompleteness>> CompletenessAsync(CancellationToken token)
    {
        var rows = new List<DeviceCompleteness>();
        await using var command = store.Db.CreateCommand(CompletenessSql);
        await using var r = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await r.ReadAsync(token).ConfigureAwait(false))
            rows.Add(new DeviceCompleteness(r.GetString(0), r.GetInt32(1), r.GetInt64(2), r.GetInt32(3), r.GetInt64(4), r.GetInt32(5)));
        return rows;
    }

    /// <summary>Every unexplained gap: (device, camera, from, to).</summary>
    public async Task<IReadOnlyList<(string Device, string Camera, long From, long To)>> UnexplainedGapsAsync(CancellationToken token)
    {
        var rows = new List<(string, string, long, long)>();
        await using var command = store.Db.CreateCommand(UnexplainedSql);
        await using var r = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await r.ReadAsync(token).ConfigureAwait(false)) rows.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        return rows;
    }

    /// <summary>People counted (in + out) per line and bucket, over the last <paramref name="span"/>.</summary>
    public Task<IReadOnlyList<Series>> CountsAsync(string bucket, TimeSpan span, CancellationToken token) => SeriesAsync(CountsSql, bucket, span, token);

    /// <summary>Mean occupancy per zone and bucket, over the last <paramref name="span"/>.</summary>
    public Task<IReadOnlyList<Series>> OccupancyAsync(string bucket, TimeSpan span, CancellationToken token) => SeriesAsync(OccupancySql, bucket, span, token);

    private async Task<IReadOnlyList<Series>> SeriesAsync(string sql, string bucket, TimeSpan span, CancellationToken token)
    {
        var series = new List<Series>();
        await using var command = store.Db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bucket });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = span, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var r = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        string? name = null;
        List<SeriesPoint>? points = null;
        while (await r.ReadAsync(token).ConfigureAwait(false))
        {
            string n = r.GetString(1);
            if (n != name)
            {
                if (name is not null) series.Add(new Series(name, points!));
                (name, points) = (n, []);
            }
            points!.Add(new SeriesPoint(DateTime.SpecifyKind(r.GetDateTime(0), DateTimeKind.Utc), r.GetDouble(2)));
        }
        if (name is not null) series.Add(new Series(name, points!));
        return series;
    }

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static List<CameraState> Cameras(string json)
    {
        var cameras = new List<CameraState>();
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) return cameras;
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            if (c.ValueKind != JsonValueKind.Object) continue;
            string? Get(string name) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            cameras.Add(new CameraState(Get("id") ?? "?", Get("state") ?? "unknown", Get("lastError")));
        }
        return cameras;
    }
}

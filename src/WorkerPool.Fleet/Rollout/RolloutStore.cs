using Npgsql;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Rollout;

/// <summary>A rollout's rows: which devices a selector names, and the progress <c>report</c> and the dashboard show.</summary>
internal sealed class RolloutStore(FleetStore store)
{
    /// <summary>
    /// The devices <paramref name="selector"/> names: <c>tag:NAME</c> and <c>group:NAME</c> from the latest heartbeat
    /// each device sent (its <c>fleet.tags</c> and <c>fleet.group</c>), <c>all</c> for every device known, otherwise
    /// a comma-separated list of device ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> SelectAsync(string selector, CancellationToken token)
    {
        string sql; string? arg = null;
        if (selector.StartsWith("tag:", StringComparison.Ordinal)) (sql, arg) = ("SELECT device_id FROM devices WHERE heartbeat->'tags' ? $1", selector[4..]);
        else if (selector.StartsWith("group:", StringComparison.Ordinal)) (sql, arg) = ("SELECT device_id FROM devices WHERE heartbeat->>'group' = $1", selector[6..]);
        else if (selector == "all") sql = "SELECT device_id FROM devices";
        else return [.. selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        await using var command = store.Db.CreateCommand(sql + " ORDER BY device_id");
        if (arg is not null) command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = arg });
        var ids = new List<string>();
        await using var row = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await row.ReadAsync(token).ConfigureAwait(false)) ids.Add(row.GetString(0));
        return ids;
    }

    /// <summary>Records a new rollout and its devices, each <c>pending</c> in its wave.</summary>
    public async Task StartAsync(string id, ReleaseManifest release, string selector, double canary, int maxFailures, RolloutPlan plan, DateTime now, CancellationToken token)
    {
        await using var batch = store.Db.CreateBatch();
        var start = new NpgsqlBatchCommand("INSERT INTO rollouts (rollout_id, version, rid, selector, canary_percent, max_failures, state, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $7)");
        start.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        start.Parameters.Add(new NpgsqlParameter<string> { TypedValue = release.Version });
        start.Parameters.Add(new NpgsqlParameter<string> { TypedValue = release.Rid });
        start.Parameters.Add(new NpgsqlParameter<string> { TypedValue = selector });
        start.Parameters.Add(new NpgsqlParameter<double> { TypedValue = canary });
        start.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxFailures });
        start.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now });
        batch.BatchCommands.Add(start);
        var devices = new NpgsqlBatchCommand("INSERT INTO rollout_devices (rollout_id, device_id, wave, state, updated_at) SELECT $1, d, w, 'pending', $4 FROM unnest($2::text[], $3::integer[]) AS u(d, w)");
        devices.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        devices.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. plan.Canary, .. plan.Rest] });
        devices.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. plan.Canary.Select(_ => 0), .. plan.Rest.Select(_ => 1)] });
        devices.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now });
        batch.BatchCommands.Add(devices);
        await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    /// <summary>Records where one device stands.</summary>
    public Task DeviceAsync(string id, string device, string state, string? reason, DateTime now, CancellationToken token) =>
        ExecuteAsync("UPDATE rollout_devices SET state = $3, reason = $4, updated_at = $5 WHERE rollout_id = $1 AND device_id = $2",
            token, id, device, state, reason, now);

    /// <summary>Records the rollout's own state (<c>running</c>, <c>halted</c>, <c>completed</c>) and why.</summary>
    public Task RolloutAsync(string id, string state, string? reason, DateTime now, CancellationToken token) =>
        ExecuteAsync("UPDATE rollouts SET state = $2, reason = $3, updated_at = $4 WHERE rollout_id = $1", token, id, state, reason, now);

    private async Task ExecuteAsync(string sql, CancellationToken token, params object?[] values)
    {
        await using var command = store.Db.CreateCommand(sql);
        foreach (var v in values)
            command.Parameters.Add(v switch
            {
                DateTime t => new NpgsqlParameter<DateTime> { TypedValue = t },
                string s => new NpgsqlParameter<string> { TypedValue = s },
                _ => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            });
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }
}

using Npgsql;
using NpgsqlTypes;
using WorkerPool.Fleet.Ingest;

namespace WorkerPool.Fleet.Storage;

/// <summary>What one committed batch did.</summary>
/// <param name="Stored">Count records newly stored.</param>
/// <param name="Duplicates">Count records that were already stored (redeliveries, resends), dropped.</param>
internal readonly record struct BatchResult(int Stored, int Duplicates);

/// <summary>
/// Writes a batch of inbound messages in one transaction: count records (with their line and zone rows, the
/// completeness ledger and the instance's counters, in one statement), device status and heartbeats, config reports,
/// in one round trip, then commits. Every write is idempotent, so a batch that is written again after a redelivery
/// changes nothing.
/// </summary>
/// <remarks>
/// Records are first inserted without <c>ON CONFLICT</c>: its speculative insertion about doubled the cost of each row.
/// A record already stored then fails the statement on its primary key, and the batch is written again, in a new
/// transaction, with <c>ON CONFLICT DO NOTHING</c>, which drops the duplicates. A batch with a redelivery in it (the
/// broker's DUP flag, or the same messageId twice) takes that path at once. Either way the database's key decides,
/// so there is one row per record.
/// </remarks>
internal sealed class BatchWriter(FleetStore store, string instance)
{
    private readonly HashSet<DateTime> _months = [];
    private long _duplicateRewrites;

    /// <summary>Batches written again because a record in them was already stored (for tests and diagnostics).</summary>
    public long DuplicateRewrites => Interlocked.Read(ref _duplicateRewrites);

    /// <summary>Writes <paramref name="batch"/> and commits; throws on any database error (nothing is then committed).</summary>
    public async Task<BatchResult> WriteAsync(IReadOnlyList<Inbound> batch, CancellationToken token)
    {
        int received = 0;
        bool redelivered = false;
        foreach (var m in batch)
            if (m is InboundCount)
            {
                received++;
                redelivered |= m.Delivery?.ApplicationMessage.Dup == true;
            }
        var counts = batch.OfType<InboundCount>().DistinctBy(c => c.MessageId).ToList();
        await EnsurePartitionsAsync(counts, token).ConfigureAwait(false);
        await using var connection = await store.Db.OpenConnectionAsync(token).ConfigureAwait(false);
        bool skipStored = redelivered || counts.Count < received;
        while (true)
        {
            await using var tx = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            await using var sql = new NpgsqlBatch(connection, tx);
            if (counts.Count > 0) sql.BatchCommands.Add(CountsCommand(counts, received, skipStored));
            DeviceWrites.AddTo(sql, batch);
            int stored = 0;
            try
            {
                if (sql.BatchCommands.Count > 0)
                {
                    await using var reader = await sql.ExecuteReaderAsync(token).ConfigureAwait(false);
                    if (counts.Count > 0 && await reader.ReadAsync(token).ConfigureAwait(false)) stored = reader.GetInt32(0);
                }
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && !skipStored)
            {
                await tx.RollbackAsync(token).ConfigureAwait(false);
                skipStored = true;
                Interlocked.Increment(ref _duplicateRewrites);
                continue;
            }
            await tx.CommitAsync(token).ConfigureAwait(false);
            return new BatchResult(stored, received - stored);
        }
    }

    private async Task EnsurePartitionsAsync(List<InboundCount> counts, CancellationToken token)
    {
        foreach (var month in counts.Select(c => Month(c.Record.WindowStart.UtcDateTime)).Distinct())
        {
            if (_months.Contains(month)) continue;
            await using var command = store.Db.CreateCommand("SELECT fleet_ensure_partition($1)");
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = month, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            _months.Add(month);
        }
    }

    private static DateTime Month(DateTime utc) => new(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc);

    // ON_CONFLICT: "ON CONFLICT DO NOTHING" where the batch may hold records already stored, else nothing.
    private const string CountsSql = """
        WITH input AS (
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[],
                                 $7::bigint[], $8::bigint[], $9::bigint[], $10::boolean[], $11::timestamptz[], $23::boolean[], $24::boolean[])
                AS t(message_id, device_id, camera_id, seq, window_start, window_end, frames_processed, frames_dropped,
                     frames_failed, clock_synced, received_at, partial, warming_up)
        ), ins AS (
            INSERT INTO count_windows (message_id, device_id, camera_id, seq, window_start, window_end, frames_processed,
                                       frames_dropped, frames_failed, clock_synced, received_at, partial, warming_up)
            SELECT * FROM input ORDER BY device_id, camera_id, seq
            ON_CONFLICT
            RETURNING message_id, window_start, device_id, camera_id, seq
        ), lines AS (
            INSERT INTO line_counts (window_start, message_id, device_id, camera_id, line_id, in_count, out_count)
            SELECT i.window_start, i.message_id, i.device_id, i.camera_id, l.line_id, l.in_count, l.out_count
            FROM unnest($12::uuid[], $13::text[], $14::bigint[], $15::bigint[]) AS l(message_id, line_id, in_count, out_count)
            JOIN ins i ON i.message_id = l.message_id
            ON_CONFLICT
        ), zones AS (
            INSERT INTO zone_stats (window_start, message_id, device_id, camera_id, zone_id, mean, min, max)
            SELECT i.window_start, i.message_id, i.device_id, i.camera_id, z.zone_id, z.mean, z.min, z.max
            FROM unnest($16::uuid[], $17::text[], $18::double precision[], $19::integer[], $20::integer[])
                AS z(message_id, zone_id, mean, min, max)
            JOIN ins i ON i.message_id = z.message_id
            ON_CONFLICT
        ), ledger AS (
            INSERT INTO camera_ledger (device_id, camera_id, records, max_seq, dirty_from)
            SELECT device_id, camera_id, count(*), max(seq), min(seq) FROM ins
            GROUP BY device_id, camera_id ORDER BY device_id, camera_id
            ON CONFLICT (device_id, camera_id) DO UPDATE SET
                records = camera_ledger.records + excluded.records,
                max_seq = greatest(camera_ledger.max_seq, excluded.max_seq),
                dirty_from = least(coalesce(camera_ledger.dirty_from, excluded.dirty_from), excluded.dirty_from)
        ), counters AS (
            INSERT INTO ingest_counters (instance, records, duplicates)
            SELECT $21, (SELECT count(*) FROM ins), $22 - (SELECT count(*) FROM ins)
            ON CONFLICT (instance) DO UPDATE SET
                records = ingest_counters.records + excluded.records,
                duplicates = ingest_counters.duplicates + excluded.duplicates
        )
        SELECT count(*)::integer FROM ins
        """;

    private static readonly string InsertSql = CountsSql.Replace("ON_CONFLICT", "", StringComparison.Ordinal);
    private static readonly string UpsertSql = CountsSql.Replace("ON_CONFLICT", "ON CONFLICT DO NOTHING", StringComparison.Ordinal);

    /// <summary>The statement that stores <paramref name="counts"/> and updates the ledger and counters; it returns the records stored.</summary>
    private NpgsqlBatchCommand CountsCommand(List<InboundCount> counts, int received, bool skipStored)
    {
        int n = counts.Count;
        var ids = new Guid[n]; var devices = new string[n]; var cameras = new string[n]; var seqs = new long[n];
        var starts = new DateTime[n]; var ends = new DateTime[n]; var processed = new long[n]; var dropped = new long[n];
        var failed = new long[n]; var synced = new bool[n]; var receivedAt = new DateTime[n]; var partial = new bool[n]; var warming = new bool[n];
        var lineIds = new List<Guid>(); var lineNames = new List<string>(); var lineIn = new List<long>(); var lineOut = new List<long>();
        var zoneIds = new List<Guid>(); var zoneNames = new List<string>(); var zoneMean = new List<double>(); var zoneMin = new List<int>(); var zoneMax = new List<int>();
        for (int i = 0; i < n; i++)
        {
            var (record, id) = (counts[i].Record, counts[i].MessageId);
            ids[i] = id; devices[i] = record.DeviceId; cameras[i] = record.CameraId; seqs[i] = record.Seq;
            starts[i] = record.WindowStart.UtcDateTime; ends[i] = record.WindowEnd.UtcDateTime;
            processed[i] = record.FramesProcessed; dropped[i] = record.FramesDropped; failed[i] = record.FramesFailed;
            synced[i] = record.ClockSynced; receivedAt[i] = counts[i].ReceivedAt; partial[i] = record.Partial; warming[i] = record.WarmingUp;
            foreach (var (line, count) in record.Lines ?? [])
            {
                if (count is null) continue;
                lineIds.Add(id); lineNames.Add(line); lineIn.Add(count.In); lineOut.Add(count.Out);
            }
            foreach (var (zone, stats) in record.Zones ?? [])
            {
                if (stats is null) continue;
                zoneIds.Add(id); zoneNames.Add(zone); zoneMean.Add(stats.Mean); zoneMin.Add(stats.Min); zoneMax.Add(stats.Max);
            }
        }
        var command = new NpgsqlBatchCommand(skipStored ? UpsertSql : InsertSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids }); p.Add(new NpgsqlParameter<string[]> { TypedValue = devices });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = cameras }); p.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = starts }); p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = ends });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = processed }); p.Add(new NpgsqlParameter<long[]> { TypedValue = dropped });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = failed }); p.Add(new NpgsqlParameter<bool[]> { TypedValue = synced });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = receivedAt });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. lineIds] }); p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. lineNames] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. lineIn] }); p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. lineOut] });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. zoneIds] }); p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. zoneNames] });
        p.Add(new NpgsqlParameter<double[]> { TypedValue = [.. zoneMean] }); p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. zoneMin] });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. zoneMax] });
        p.Add(new NpgsqlParameter<string> { TypedValue = instance }); p.Add(new NpgsqlParameter<int> { TypedValue = received });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = partial });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = warming });
        return command;
    }
}

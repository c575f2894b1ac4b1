using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MQTTnet;
using Npgsql;
using NpgsqlTypes;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Simulate;
using WorkerPool.IntegrationTests.Infrastructure;

using static WorkerPool.Bench.BenchSupport;

namespace WorkerPool.Bench;

/// <summary>
/// The fleet ingest (issue 12) on one machine with its own Mosquitto and PostgreSQL, fed by the simulator over real
/// MQTT connections. Four phases:
/// <list type="number">
/// <item><b>steady</b>: 1,000 devices × 2 cameras, 1-minute windows closing together (as wall-clock-aligned devices
/// do); latency publish → committed of every record.</item>
/// <item><b>burst</b>: 800 devices live, then 200 more come back at once, each with an hour of windows to replay
/// (24,000 records); how long until all are committed, and the latency of each.</item>
/// <item><b>drain</b>: the same 24,000 records queued in the broker, drained by mosquitto_sub to /dev/null, by the
/// ingest into PostgreSQL, and written by a bare Npgsql binary COPY of the same rows; interleaved, repeated.</item>
/// <item><b>connections</b>: 10,000 devices connected at once, each sending one window; memory and CPU of each
/// process.</item>
/// </list>
/// Latency: the simulator notes each record's publish time (<c>--publish-log</c>); PostgreSQL records each
/// transaction's commit time (<c>track_commit_timestamp</c>); both are this machine's wall clock.
/// </summary>
internal static partial class FleetBench
{
    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    private const int SigStop = 19, SigCont = 18;
    private const int Cameras = 2, WindowSeconds = 60, BurstDevices = 200, BurstWindows = 60, WarmUpRounds = 2;
    private static readonly TimeSpan PhaseLimit = TimeSpan.FromMinutes(6);

    public static async Task<int> RunAsync(int repeats, int devices, int steadyWindows, int connections, string phases)
    {
        HashSet<string> selected = phases == "all" ? ["steady", "burst", "drain", "connections"] : [.. phases.Split(',', StringSplitOptions.RemoveEmptyEntries)];
        var report = new StringBuilder();
        var clock = Stopwatch.StartNew();
        await using var rig = await FleetRig.StartAsync();
        Progress($"broker on {rig.BrokerAddress}, PostgreSQL on {rig.Database.Port}");
        bool ok = true;
        report.AppendLine(CultureInfo.InvariantCulture, $"# WorkerPool fleet ingest benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        report.AppendLine(CultureInfo.InvariantCulture, $"machine: {Machine()}; {Environment.ProcessorCount} cores; {MemTotal()}; .NET {Environment.Version}; {Versions()}; open files limit {OpenFilesLimit()}");
        report.AppendLine("PostgreSQL settings: " + string.Join(", ", FleetRig.DatabaseSettings));
        report.AppendLine("Mosquitto config: " + rig.BrokerConfig.Replace("\n", "; ", StringComparison.Ordinal).TrimEnd(' ', ';'));
        report.AppendLine("ingest options beyond broker, database and ids: " + (FleetRig.IngestArguments.Length == 0 ? "none (defaults)" : string.Join(' ', FleetRig.IngestArguments)));
        report.AppendLine(CultureInfo.InvariantCulture, $"load average at the start (the machine is shared): {File.ReadAllText("/proc/loadavg").Trim()}");
        report.AppendLine();
        if (selected.Contains("steady") || selected.Contains("burst"))
        {
            await rig.CreateDatabaseAsync("fleet");
            var ingest = await rig.StartIngestAsync("bench-ingest", "fleet");
            if (selected.Contains("steady")) ok &= await SteadyAsync(rig, ingest, devices, steadyWindows, report);
            if (selected.Contains("burst")) ok &= await BurstAsync(rig, ingest, devices, report);
            await FleetRig.StopAsync(ingest);
        }
        if (selected.Contains("drain")) ok &= await DrainAsync(rig, repeats, report);
        if (selected.Contains("connections") && connections > 0) ok &= await ConnectionsAsync(rig, connections, report);
        report.AppendLine(CultureInfo.InvariantCulture, $"whole run: {clock.Elapsed.TotalMinutes:0.0} min; load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine(report);
        return ok ? 0 : 1;
    }

    // ---- steady state -------------------------------------------------------------------------------------------

    private static async Task<bool> SteadyAsync(FleetRig rig, HostProcess ingest, int devices, int windows, StringBuilder report)
    {
        Progress($"steady: {devices} devices x {Cameras} cameras, {windows} windows of {WindowSeconds} s");
        string log = Path.Combine(rig.Dir, "steady.csv");
        var before = Snapshot(rig, ingest);
        var run = await RunSimulatorAsync(rig, log, "--devices", Str(devices), "--cameras", Str(Cameras), "--window-seconds", Str(WindowSeconds),
            "--windows", Str(windows), "--device-prefix", "steady", "--seed", "1");
        long expected = (long)devices * Cameras * windows;
        long stored = await rig.WaitForAsync("SELECT count(*) FROM count_windows WHERE device_id LIKE 'steady-%'", "fleet", expected, TimeSpan.FromSeconds(120));
        var after = Snapshot(rig, ingest);
        var samples = await LatenciesAsync(rig, "fleet", log, "device_id LIKE 'steady-%'");
        report.AppendLine(CultureInfo.InvariantCulture, $"## Steady state: {devices} devices x {Cameras} cameras, {WindowSeconds} s windows closing together, {windows} windows");
        report.AppendLine(CultureInfo.InvariantCulture, $"simulator exit {run.Code}, {run.Records} records acknowledged by the broker, {stored} of {expected} committed, latency measured for {samples.Count}");
        report.AppendLine();
        report.AppendLine("| window | records | publish -> committed p50 | p99 | max | last commit after the window's first publish |");
        report.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var window in samples.GroupBy(s => s.Seq).OrderBy(g => g.Key))
            report.AppendLine(CultureInfo.InvariantCulture, $"| {window.Key} | {window.Count()} | {Ms(window, 0.50)} | {Ms(window, 0.99)} | {Ms(window, 1)} | {(window.Max(s => s.Committed) - window.Min(s => s.Published)) / 1000.0:0} ms |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| all | {samples.Count} | **{Ms(samples, 0.50)}** | **{Ms(samples, 0.99)}** | {Ms(samples, 1)} | |");
        report.AppendLine();
        report.AppendLine(Resources(before, after, expected));
        return run.Code == 0 && stored == expected && samples.Count == expected;
    }

    // ---- burst ----------------------------------------------------------------------------------------------------

    private static async Task<bool> BurstAsync(FleetRig rig, HostProcess ingest, int devices, StringBuilder report)
    {
        int live = devices - BurstDevices;
        Progress($"burst: {live} devices live, then {BurstDevices} come back with {BurstWindows} windows each");
        string liveLog = Path.Combine(rig.Dir, "live.csv"), burstLog = Path.Combine(rig.Dir, "burst.csv");
        var liveRun = RunSimulatorAsync(rig, liveLog, "--devices", Str(live), "--cameras", Str(Cameras), "--window-seconds", Str(WindowSeconds),
            "--windows", "2", "--device-prefix", "live", "--seed", "2");
        long online = await rig.WaitForAsync("SELECT count(*) FROM devices WHERE device_id LIKE 'live-%' AND status = 'online'", "fleet", live, TimeSpan.FromSeconds(50));
        var before = Snapshot(rig, ingest);
        var burstRun = RunSimulatorAsync(rig, burstLog, "--devices", Str(BurstDevices), "--cameras", Str(Cameras), "--window-seconds", Str(WindowSeconds),
            "--windows", "1", "--backlog-windows", Str(BurstWindows), "--device-prefix", "rpl", "--seed", "3");
        long burstRecords = (long)BurstDevices * Cameras * BurstWindows;
        long burstStored = await rig.WaitForAsync($"SELECT count(*) FROM count_windows WHERE device_id LIKE 'rpl-%' AND seq <= {BurstWindows}", "fleet", burstRecords, TimeSpan.FromSeconds(120));
        var after = Snapshot(rig, ingest);
        var (liveResult, burstResult) = (await liveRun, await burstRun);
        long liveExpected = live * Cameras * 2L, burstExpected = burstRecords + BurstDevices * Cameras;
        long liveStored = await rig.WaitForAsync("SELECT count(*) FROM count_windows WHERE device_id LIKE 'live-%'", "fleet", liveExpected, TimeSpan.FromSeconds(60));
        long allBurst = await rig.WaitForAsync("SELECT count(*) FROM count_windows WHERE device_id LIKE 'rpl-%'", "fleet", burstExpected, TimeSpan.FromSeconds(60));
        var burst = await LatenciesAsync(rig, "fleet", burstLog, $"device_id LIKE 'rpl-%' AND seq <= {BurstWindows}");
        var liveSamples = await LatenciesAsync(rig, "fleet", liveLog, "device_id LIKE 'live-%'");
        double seconds = burst.Count == 0 ? double.NaN : (burst.Max(s => s.Committed) - burst.Min(s => s.Published)) / 1e6;
        double publishing = burst.Count == 0 ? double.NaN : (burst.Max(s => s.Published) - burst.Min(s => s.Published)) / 1e6;
        report.AppendLine(CultureInfo.InvariantCulture, $"## Burst: {live} devices live, then {BurstDevices} devices ({100.0 * BurstDevices / devices:0} %) come back with {BurstWindows} windows each ({burstRecords:N0} records) at once");
        report.AppendLine(CultureInfo.InvariantCulture, $"live devices online before the burst: {online} of {live}; simulators exit {liveResult.Code} and {burstResult.Code}; burst records committed {burstStored} of {burstRecords}; live {liveStored} of {liveExpected}; all of the returning devices' {allBurst} of {burstExpected}");
        report.AppendLine();
        report.AppendLine("| measure | value |");
        report.AppendLine("| --- | --- |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| first burst publish -> last burst record committed | **{seconds:0.00} s** = **{burstRecords / seconds:N0} records/s** |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| the returning devices' own publishing (first to last publish, each waiting for its PUBACKs) | {publishing:0.00} s |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| burst records, publish -> committed, p50 / p99 / max | {Ms(burst, 0.5)} / {Ms(burst, 0.99)} / {Ms(burst, 1)} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| live devices' records (windows closing at 60 and 120 s), p50 / p99 / max | {Ms(liveSamples, 0.5)} / {Ms(liveSamples, 0.99)} / {Ms(liveSamples, 1)} |");
        report.AppendLine();
        report.AppendLine("During the burst (from its start until its last record was committed):");
        report.AppendLine(Resources(before, after, burstRecords));
        return liveResult.Code == 0 && burstResult.Code == 0 && burstStored == burstRecords && liveStored == liveExpected && allBurst == burstExpected;
    }

    // ---- drain vs baselines -----------------------------------------------------------------------------------------

    private static async Task<bool> DrainAsync(FleetRig rig, int repeats, StringBuilder report)
    {
        var sub = new List<double>(); var ingestRates = new List<double>(); var copy = new List<double>();
        var drainUsage = new List<(Usage Before, Usage After)>();
        var copyCpu = new List<(double Db, double Bench)>();
        bool ok = true;
        long records = (long)BurstDevices * Cameras * BurstWindows;
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds() / WindowSeconds * WindowSeconds);
        const string prefix = "drain", filter = $"$share/sub/{prefix}/+/counts/+";
        await rig.CreateDatabaseAsync("drain");
        await rig.CreateDatabaseAsync("copy");
        // One long-running ingest, as in production; mosquitto_sub's persistent session, subscribed to the ingest's
        // count filter in a group of its own, then away until its turn.
        var ingest = await rig.StartIngestAsync("drain", "drain", prefix);
        if (await ShellAsync($"mosquitto_sub -h 127.0.0.1 -p {rig.BrokerPort} -V mqttv5 -c -i sub -x 86400 -q 1 -t '{filter}' -E", TimeSpan.FromSeconds(20)) != 0)
            throw new InvalidOperationException("mosquitto_sub could not subscribe");
        await using var db = new NpgsqlConnection(rig.Database.ConnectionString("drain"));
        await db.OpenAsync();
        // Rounds -1 and 0 warm up the three consumers (the ingest's tiered JIT took two bursts to settle, the COPY
        // code) and are not counted.
        for (int r = -WarmUpRounds + 1; r <= repeats; r++)
        {
            string devices = $"r{r + WarmUpRounds}";
            Progress($"drain {r}/{repeats}{(r <= 0 ? " (warm-up)" : "")}: queueing {records:N0} records for mosquitto_sub and the ingest");
            // The ingest is frozen (SIGSTOP) while the burst is published, so the broker queues it for its session as
            // for mosquitto_sub's; at most a socket buffer's worth reaches its kernel buffer first. SIGCONT starts the
            // clock: the ingest goes on warm, as a long-running instance back from a pause would.
            ingest.Signal(SigStop);
            var windowStart = start.AddSeconds((BurstWindows - 1) * WindowSeconds);
            var run = await RunSimulatorAsync(rig, null, "--prefix", prefix, "--devices", Str(BurstDevices), "--cameras", Str(Cameras), "--window-seconds", Str(WindowSeconds),
                "--windows", "1", "--backlog-windows", Str(BurstWindows - 1), "--fast", "--device-prefix", devices, "--seed", Str(20 + r),
                "--start", windowStart.ToString("O", CultureInfo.InvariantCulture));
            if (run.Code != 0 || run.Records != records) throw new InvalidOperationException($"simulate exited {run.Code} with {run.Records} records");
            await Task.Delay(1000);
            // Alternate which consumer goes first.
            for (int turn = 0; turn < 2; turn++)
            {
                if ((turn == 0) == (r % 2 == 1))
                {
                    var watch = Stopwatch.StartNew();
                    int code = await ShellAsync($"mosquitto_sub -h 127.0.0.1 -p {rig.BrokerPort} -V mqttv5 -c -i sub -x 86400 -q 1 -t '{filter}' -C {records} -W 120 > /dev/null", TimeSpan.FromSeconds(150));
                    double s = watch.Elapsed.TotalSeconds;
                    ok &= code == 0;
                    if (r > 0) sub.Add(records / s);
                    Progress($"  mosquitto_sub: exit {code}, {s:0.00} s, {records / s:N0}/s");
                }
                else
                {
                    var before = Snapshot(rig, ingest);
                    // WORKERPOOL_BENCH_PERF=DIR records the ingest's drain with perf (run with DOTNET_PerfMapEnabled=1 to name JIT frames).
                    using var perf = r > 0 && Environment.GetEnvironmentVariable("WORKERPOOL_BENCH_PERF") is { Length: > 0 } perfDir
                        ? Process.Start("perf", ["record", "-F", "999", "-g", "-p", Str(ingest.Pid), "-o", Path.Combine(Directory.CreateDirectory(perfDir).FullName, $"ingest-{r}.perf")])
                        : null;
                    if (perf is not null) await Task.Delay(500);
                    long released = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
                    ingest.Signal(SigCont);
                    string mine = $"device_id LIKE '{devices}-%'";
                    long stored = await rig.WaitForAsync($"SELECT count(*) FROM count_windows WHERE {mine}", "drain", records, TimeSpan.FromSeconds(150));
                    var after = Snapshot(rig, ingest);
                    if (perf is not null)
                    {
                        _ = kill(perf.Id, 2);
                        await perf.WaitForExitAsync();
                    }
                    await using var span = new NpgsqlCommand($"SELECT (extract(epoch FROM max(pg_xact_commit_timestamp(xmin))) * 1000000)::bigint FROM count_windows WHERE {mine}", db);
                    double s = ((long)(await span.ExecuteScalarAsync())! - released) / 1e6;
                    ok &= stored == records;
                    if (r > 0)
                    {
                        ingestRates.Add(stored / s);
                        drainUsage.Add((before, after));
                    }
                    Progress($"  ingest: {stored} rows, SIGCONT -> last committed {s:0.00} s, {stored / s:N0}/s");
                }
            }
            var plan = new SimulationPlan(new SimulationOptions(BurstDevices, Cameras, WindowSeconds, 1, 0, 0, 20 + r, prefix, devices, true, windowStart)
            { BacklogWindows = BurstWindows - 1 });
            var rows = new List<CountRecord>();
            for (int d = 0; d < BurstDevices; d++)
                for (int w = -(BurstWindows - 1); w < 1; w++)
                    for (int c = 0; c < Cameras; c++) rows.Add(plan.Record(d, c, w));
            double dbBefore = ProcStats.CpuSeconds(rig.Database.Pid ?? 0, tree: true), benchBefore = ProcStats.CpuSeconds(Environment.ProcessId);
            double copySeconds = await CopyAsync(rig.Database.ConnectionString("copy"), rows);
            if (r > 0)
            {
                copy.Add(rows.Count / copySeconds);
                copyCpu.Add(((ProcStats.CpuSeconds(rig.Database.Pid ?? 0, tree: true) - dbBefore) / rows.Count * 1e6, (ProcStats.CpuSeconds(Environment.ProcessId) - benchBefore) / rows.Count * 1e6));
            }
            Progress($"  COPY: {rows.Count} rows in {copySeconds:0.00} s, {rows.Count / copySeconds:N0}/s");
        }
        await FleetRig.StopAsync(ingest);
        if (Environment.GetEnvironmentVariable("WORKERPOOL_BENCH_PG")?.Contains("pg_stat_statements", StringComparison.Ordinal) == true)
        {
            await using var stats = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", db);
            await stats.ExecuteNonQueryAsync();
            await using var q = new NpgsqlCommand("SELECT calls, round(total_exec_time)::bigint, round(total_plan_time)::bigint, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15", db);
            await using var rdr = await q.ExecuteReaderAsync();
            while (await rdr.ReadAsync()) Progress($"  pgss calls {rdr.GetInt64(0)} exec {rdr.GetInt64(1)} ms plan {rdr.GetInt64(2)} ms: {rdr.GetString(3)}");
        }
        long drainRows = await rig.ScalarAsync("SELECT count(*) FROM count_windows", "drain");
        long distinct = await rig.ScalarAsync("SELECT count(*) FROM (SELECT DISTINCT device_id, camera_id, seq FROM count_windows) s", "drain");
        ok &= drainRows == records * (repeats + WarmUpRounds) && distinct == drainRows;
        double slower = Math.Min(Median(sub), Median(copy));
        double ratio = Median(ingestRates) / slower;
        report.AppendLine(CultureInfo.InvariantCulture, $"## Drain: the same {records:N0} records ({BurstDevices} devices x {Cameras} cameras x {BurstWindows} windows) queued in the broker, {repeats} interleaved repeats after {WarmUpRounds} warm-up rounds");
        report.AppendLine();
        report.AppendLine("| consumer | records/s (median) | runs | vs slower baseline |");
        report.AppendLine("| --- | --- | --- | --- |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| baseline: mosquitto_sub, QoS 1, same filter, to /dev/null | {Median(sub):N0} | {Join(sub, "0")} | {Median(sub) / slower:0.00}x |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| baseline: bare Npgsql binary COPY of the same rows (count_windows, line_counts, zone_stats; one transaction) | {Median(copy):N0} | {Join(copy, "0")} | {Median(copy) / slower:0.00}x |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| **ingest**, warm (SIGCONT -> last row committed) | **{Median(ingestRates):N0}** | {Join(ingestRates, "0")} | **{ratio:0.00}x** (target >= 0.5x) |");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"verdict: {(ratio >= 0.5 ? "target met" : "TARGET MISSED")}: the ingest drains at {ratio:0.00}x the slower baseline");
        report.AppendLine(CultureInfo.InvariantCulture, $"rows in the ingest's database: {drainRows:N0} ({distinct:N0} distinct device, camera, seq) for {records * (repeats + WarmUpRounds):N0} records sent");
        long bytes = await rig.ScalarAsync("SELECT sum(pg_total_relation_size(relid)) FROM (SELECT relid FROM pg_partition_tree('count_windows') UNION ALL SELECT relid FROM pg_partition_tree('line_counts') UNION ALL SELECT relid FROM pg_partition_tree('zone_stats')) t", "drain");
        report.AppendLine(CultureInfo.InvariantCulture, $"disk per record (count_windows, line_counts, zone_stats with their indexes; one line and one zone per record): {bytes / (double)Math.Max(1, drainRows):0} bytes");
        report.AppendLine();
        string PerRecord(Func<Usage, double> cpu) => Join(drainUsage.Select(u => (cpu(u.After) - cpu(u.Before)) / records * 1e6), "0");
        report.AppendLine(CultureInfo.InvariantCulture, $"CPU per record while the ingest drained, µs (each repeat): ingest {PerRecord(u => u.IngestCpu)}; PostgreSQL {PerRecord(u => u.DbCpu)}; Mosquitto {PerRecord(u => u.BrokerCpu)}");
        report.AppendLine(CultureInfo.InvariantCulture, $"CPU per record of the COPY baseline, µs (each repeat): PostgreSQL {Join(copyCpu.Select(c => c.Db), "0")}; the benchmark process writing it {Join(copyCpu.Select(c => c.Bench), "0")}");
        report.AppendLine();
        return ok;
    }

    /// <summary>The baseline: the rows the ingest stores for these records, by binary COPY in one transaction; returns seconds.</summary>
    private static async Task<double> CopyAsync(string connectionString, List<CountRecord> rows)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var month in rows.Select(r => new DateTime(r.WindowStart.Year, r.WindowStart.Month, 1, 0, 0, 0, DateTimeKind.Utc)).Distinct())
        {
            await using var partition = new NpgsqlCommand("SELECT fleet_ensure_partition($1)", connection);
            partition.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = month, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await partition.ExecuteNonQueryAsync();
        }
        var watch = Stopwatch.StartNew();
        await using var tx = await connection.BeginTransactionAsync();
        var now = DateTime.UtcNow;
        await using (var w = await connection.BeginBinaryImportAsync("COPY count_windows (window_start, message_id, device_id, camera_id, seq, window_end, frames_processed, frames_dropped, frames_failed, clock_synced, received_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var r in rows)
            {
                w.StartRow();
                w.Write(r.WindowStart.UtcDateTime, NpgsqlDbType.TimestampTz);
                w.Write(Guid.Parse(r.MessageId), NpgsqlDbType.Uuid);
                w.Write(r.DeviceId, NpgsqlDbType.Text);
                w.Write(r.CameraId, NpgsqlDbType.Text);
                w.Write(r.Seq, NpgsqlDbType.Bigint);
                w.Write(r.WindowEnd.UtcDateTime, NpgsqlDbType.TimestampTz);
                w.Write(r.FramesProcessed, NpgsqlDbType.Bigint);
                w.Write(r.FramesDropped, NpgsqlDbType.Bigint);
                w.Write(r.FramesFailed, NpgsqlDbType.Bigint);
                w.Write(r.ClockSynced, NpgsqlDbType.Boolean);
                w.Write(now, NpgsqlDbType.TimestampTz);
            }
            await w.CompleteAsync();
        }
        await using (var w = await connection.BeginBinaryImportAsync("COPY line_counts (window_start, message_id, device_id, camera_id, line_id, in_count, out_count) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var r in rows)
                foreach (var (line, count) in r.Lines)
                {
                    w.StartRow();
                    w.Write(r.WindowStart.UtcDateTime, NpgsqlDbType.TimestampTz);
                    w.Write(Guid.Parse(r.MessageId), NpgsqlDbType.Uuid);
                    w.Write(r.DeviceId, NpgsqlDbType.Text);
                    w.Write(r.CameraId, NpgsqlDbType.Text);
                    w.Write(line, NpgsqlDbType.Text);
                    w.Write(count.In, NpgsqlDbType.Bigint);
                    w.Write(count.Out, NpgsqlDbType.Bigint);
                }
            await w.CompleteAsync();
        }
        await using (var w = await connection.BeginBinaryImportAsync("COPY zone_stats (window_start, message_id, device_id, camera_id, zone_id, mean, min, max) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var r in rows)
                foreach (var (zone, stats) in r.Zones)
                {
                    w.StartRow();
                    w.Write(r.WindowStart.UtcDateTime, NpgsqlDbType.TimestampTz);
                    w.Write(Guid.Parse(r.MessageId), NpgsqlDbType.Uuid);
                    w.Write(r.DeviceId, NpgsqlDbType.Text);
                    w.Write(r.CameraId, NpgsqlDbType.Text);
                    w.Write(zone, NpgsqlDbType.Text);
                    w.Write(stats.Mean, NpgsqlDbType.Double);
                    w.Write(stats.Min, NpgsqlDbType.Integer);
                    w.Write(stats.Max, NpgsqlDbType.Integer);
                }
            await w.CompleteAsync();
        }
        await tx.CommitAsync();
        return watch.Elapsed.TotalSeconds;
    }

    // ---- connections ------------------------------------------------------------------------------------------------

    private static async Task<bool> ConnectionsAsync(FleetRig rig, int devices, StringBuilder report)
    {
        Progress($"connections: {devices} devices");
        await rig.CreateDatabaseAsync("connections");
        // Its own topic prefix: the earlier phases' devices left retained statuses under the default one.
        const string prefix = "conn";
        var ingest = await rig.StartIngestAsync("conn-ingest", "connections", prefix);
        using var sys = new MqttClientFactory().CreateMqttClient();
        long connected = 0, peak = 0;
        double allConnectedAt = double.NaN;
        var watch = new Stopwatch();
        sys.ApplicationMessageReceivedAsync += e =>
        {
            if (long.TryParse(e.ApplicationMessage.ConvertPayloadToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n))
            {
                Interlocked.Exchange(ref connected, n);
                if (n > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, n);
            }
            return Task.CompletedTask;
        };
        await sys.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", rig.BrokerPort).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        await sys.SubscribeAsync("$SYS/broker/clients/connected");
        await Task.Delay(1500);
        long others = Interlocked.Read(ref connected); // the ingest and this subscriber
        string log = Path.Combine(rig.Dir, "connections.csv");
        var before = Snapshot(rig, ingest);
        watch.Start();
        var simulator = rig.Start("simulate", "--broker", rig.BrokerAddress, "--prefix", prefix, "--devices", Str(devices), "--cameras", Str(Cameras),
            "--window-seconds", Str(WindowSeconds), "--windows", "1", "--device-prefix", "conn", "--seed", "4", "--publish-log", log);
        long simPeak = 0, brokerPeak = 0, ingestPeak = 0, dbPeak = 0;
        double simCpu = 0;
        while (!simulator.HasExited && watch.Elapsed < PhaseLimit)
        {
            simPeak = Math.Max(simPeak, ProcStats.RssBytes(simulator.Pid));
            simCpu = Math.Max(simCpu, ProcStats.CpuSeconds(simulator.Pid));
            brokerPeak = Math.Max(brokerPeak, ProcStats.RssBytes(rig.BrokerPid));
            ingestPeak = Math.Max(ingestPeak, ProcStats.RssBytes(ingest.Pid));
            dbPeak = Math.Max(dbPeak, ProcStats.RssBytes(rig.Database.Pid ?? 0, tree: true));
            if (double.IsNaN(allConnectedAt) && Interlocked.Read(ref connected) - others >= devices) allConnectedAt = watch.Elapsed.TotalSeconds;
            await Task.Delay(500);
        }
        int code = await simulator.WaitForExitAsync(TimeSpan.FromSeconds(30));
        double simSeconds = watch.Elapsed.TotalSeconds;
        var after = Snapshot(rig, ingest);
        long records = simulator.Stdout.Length > 0 && simulator.Stdout[^1].StartsWith('{') ? JsonDocument.Parse(simulator.Stdout[^1]).RootElement.GetProperty("records").GetInt64() : 0;
        long expected = devices * (long)Cameras;
        long stored = await rig.WaitForAsync("SELECT count(*) FROM count_windows", "connections", expected, TimeSpan.FromSeconds(120));
        long seen = await rig.ScalarAsync("SELECT count(*) FROM devices", "connections");
        var samples = await LatenciesAsync(rig, "connections", log, "true");
        await FleetRig.StopAsync(ingest);
        report.AppendLine(CultureInfo.InvariantCulture, $"## Connections: {devices:N0} simulated devices at once, one {WindowSeconds} s window of {Cameras} cameras each");
        report.AppendLine(CultureInfo.InvariantCulture, $"simulator exit {code}, {records:N0} records acknowledged, {stored:N0} of {expected:N0} committed, {seen:N0} devices in the devices table");
        report.AppendLine();
        report.AppendLine("| measure | value |");
        report.AppendLine("| --- | --- |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| broker's connected clients, peak (less the ingest and the benchmark's own) | **{peak - others:N0}** of {devices:N0} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| simulator start -> all connected ($SYS, 1 s resolution) | {(double.IsNaN(allConnectedAt) ? "never" : $"{allConnectedAt:0} s")} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| simulator run (connect, one window, publish, disconnect) | {simSeconds:0} s |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| the window's {expected:N0} records, publish -> committed, p50 / p99 / max | {Ms(samples, 0.5)} / {Ms(samples, 0.99)} / {Ms(samples, 1)} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| memory peak, RSS: Mosquitto / ingest / PostgreSQL (all its processes, PSS) / simulator | {Mib(brokerPeak)} / {Mib(ingestPeak)} / {Mib(dbPeak)} / {Mib(simPeak)} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| Mosquitto RSS per connection (peak less its RSS before) | {(brokerPeak - before.BrokerRss) / (double)devices / 1024:0.0} KiB |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| CPU seconds over the run: Mosquitto / ingest / PostgreSQL / simulator | {after.BrokerCpu - before.BrokerCpu:0.0} / {after.IngestCpu - before.IngestCpu:0.0} / {after.DbCpu - before.DbCpu:0.0} / {simCpu:0.0} |");
        report.AppendLine();
        return code == 0 && stored == expected && peak - others >= devices;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    /// <summary>One record: when the simulator published it and when PostgreSQL committed its row (µs since the epoch), and its seq.</summary>
    private readonly record struct Sample(long Published, long Committed, long Seq)
    {
        public double Ms => (Committed - Published) / 1000.0;
    }

    private static async Task<List<Sample>> LatenciesAsync(FleetRig rig, string database, string publishLog, string where)
    {
        var published = new Dictionary<Guid, long>();
        foreach (string line in File.ReadLines(publishLog))
        {
            int comma = line.IndexOf(',', StringComparison.Ordinal);
            if (comma > 0) published[Guid.Parse(line.AsSpan(0, comma))] = long.Parse(line.AsSpan(comma + 1), CultureInfo.InvariantCulture);
        }
        var samples = new List<Sample>();
        await using var connection = new NpgsqlConnection(rig.Database.ConnectionString(database));
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand($"SELECT message_id, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000000)::bigint, seq FROM count_windows WHERE {where}", connection);
        await using var rows = await query.ExecuteReaderAsync();
        while (await rows.ReadAsync())
            if (published.TryGetValue(rows.GetGuid(0), out long at)) samples.Add(new Sample(at, rows.GetInt64(1), rows.GetInt64(2)));
        return samples;
    }

    private static string Ms(IEnumerable<Sample> samples, double quantile)
    {
        var sorted = samples.Select(s => s.Ms).Order().ToArray();
        if (sorted.Length == 0) return "n/a";
        double v = sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
        return v >= 1000 ? $"{v / 1000:0.00} s" : $"{v:0} ms";
    }

    private readonly record struct Usage(double At, double IngestCpu, double BrokerCpu, double DbCpu, long IngestRss, long BrokerRss, long DbRss);

    private static Usage Snapshot(FleetRig rig, HostProcess ingest) => new(
        Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency,
        ProcStats.CpuSeconds(ingest.Pid), ProcStats.CpuSeconds(rig.BrokerPid), ProcStats.CpuSeconds(rig.Database.Pid ?? 0, tree: true),
        ProcStats.RssBytes(ingest.Pid), ProcStats.RssBytes(rig.BrokerPid), ProcStats.RssBytes(rig.Database.Pid ?? 0, tree: true));

    private static string Resources(Usage before, Usage after, long records)
    {
        double wall = after.At - before.At;
        string Cpu(double a, double b) => $"{a - b:0.0} s ({(a - b) / wall * 100:0} % of one core; {(a - b) / records * 1e6:0} µs per count record, heartbeats, status and idle time included)";
        return $"- CPU over {wall:0.0} s: ingest {Cpu(after.IngestCpu, before.IngestCpu)}; Mosquitto {Cpu(after.BrokerCpu, before.BrokerCpu)}; PostgreSQL {Cpu(after.DbCpu, before.DbCpu)}\n" +
               $"- RSS at the end: ingest {Mib(after.IngestRss)}, Mosquitto {Mib(after.BrokerRss)}, PostgreSQL (all its processes, proportional set size) {Mib(after.DbRss)}\n";
    }

    private sealed record SimulatorRun(int Code, long Records);

    private static async Task<SimulatorRun> RunSimulatorAsync(FleetRig rig, string? publishLog, params string[] args)
    {
        string[] all = ["simulate", "--broker", rig.BrokerAddress, .. args, .. publishLog is null ? Array.Empty<string>() : ["--publish-log", publishLog]];
        var simulator = rig.Start(all);
        int code;
        try { code = await simulator.WaitForExitAsync(PhaseLimit); }
        catch (TimeoutException)
        {
            Progress("simulate did not finish: " + simulator.Tail());
            return new SimulatorRun(-1, 0);
        }
        if (code != 0) Progress($"simulate exited {code}: {simulator.Tail()}");
        var last = simulator.Stdout.LastOrDefault(l => l.StartsWith('{'));
        return new SimulatorRun(code, last is null ? 0 : JsonDocument.Parse(last).RootElement.GetProperty("records").GetInt64());
    }

    private static async Task<int> ShellAsync(string command, TimeSpan timeout)
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec " + command }, RedirectStandardError = true })!;
        using var limit = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException)
        {
            process.Kill();
            return -1;
        }
        return process.ExitCode;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):0} MiB";

    private static void Progress(string line) => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}");

    private static string MemTotal()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return line is null ? "memory unknown" : $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / (1024.0 * 1024):0.0} GiB RAM";
    }

    private static string OpenFilesLimit()
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return line is null ? "unknown" : line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
    }

    private static string Versions()
    {
        string Output(string file, string arg)
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(file, arg) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                p.WaitForExit(5000);
                return text.Split('\n').FirstOrDefault(l => l.Contains("version", StringComparison.OrdinalIgnoreCase) || l.Contains("PostgreSQL", StringComparison.Ordinal))?.Trim() ?? "?";
            }
            catch (System.ComponentModel.Win32Exception) { return "?"; }
        }
        string postgres = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "postgres")).Where(File.Exists)
            .OrderByDescending(p => p, StringComparer.Ordinal).FirstOrDefault() ?? "postgres";
        return $"{Output("mosquitto", "-h")}; {Output(postgres, "--version")}";
    }
}

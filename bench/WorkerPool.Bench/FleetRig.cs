using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using WorkerPool.Fleet.Storage;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.Bench;

/// <summary>
/// What the fleet benchmark runs against, all on this machine: its own Mosquitto (session queues and in-flight
/// window raised as docs/FLEET.md says), a throwaway PostgreSQL cluster with production durability (fsync on,
/// synchronous commit) and commit timestamps, and the fleet program started from the checkout
/// (deploy-scripts/workerpool-fleet) for ingest and simulate.
/// </summary>
internal sealed class FleetRig : IAsyncDisposable
{
    /// <summary>The PostgreSQL settings of the run: durable commits, as a real ingest has; commit times kept for latency.</summary>
    public static readonly string[] DatabaseSettings =
        ["fsync=on", "synchronous_commit=on", "track_commit_timestamp=on", "shared_buffers=256MB", "max_connections=300"];

    private readonly TempDir _dir = new();
    private readonly List<HostProcess> _processes = [];
    private Process? _broker;

    private FleetRig(PostgresServer database)
    {
        Database = database;
        BrokerPort = RtspServer.FreePort();
    }

    public PostgresServer Database { get; }

    public int BrokerPort { get; }

    public string BrokerAddress => $"127.0.0.1:{BrokerPort}";

    public int BrokerPid => _broker?.Id ?? throw new InvalidOperationException("broker not started");

    public string Dir => _dir.Path;

    /// <summary>Extra ingest options for every instance the run starts (<c>--ingest-args</c>).</summary>
    public static string[] IngestArguments { get; set; } = [];

    /// <summary>The broker's config, as written for the run.</summary>
    public string BrokerConfig { get; private set; } = "";

    /// <summary>The broker's in-flight window per client: at least the ingest's Receive Maximum.</summary>
    public static int InFlight { get; set; } = 8000;

    public static string Script => Path.Combine(BenchSupport.FindRoot(), "deploy-scripts", "workerpool-fleet");

    public static async Task<FleetRig> StartAsync()
    {
        var database = new PostgresServer([.. DatabaseSettings, .. (Environment.GetEnvironmentVariable("WORKERPOOL_BENCH_PG") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        var rig = new FleetRig(database);
        try
        {
            await database.StartAsync(createDatabase: false);
            rig.StartBroker();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private void StartBroker()
    {
        // docs/FLEET.md, "The broker": queues that hold a burst or an outage, and an in-flight window as large as the
        // ingest's Receive Maximum. Persistence is off: Mosquitto only writes its file every autosave_interval anyway.
        BrokerConfig = string.Join('\n',
            $"listener {BrokerPort} 127.0.0.1",
            "allow_anonymous true",
            $"user {Environment.UserName}",
            $"max_inflight_messages {InFlight}",
            "max_queued_messages 1000000",
            "max_connections -1",
            "persistence false",
            "sys_interval 1",
            $"log_dest file {_dir.File("mosquitto.log")}",
            "log_type error",
            "log_type warning") + "\n";
        File.WriteAllText(_dir.File("mosquitto.conf"), BrokerConfig);
        _broker = Process.Start(new ProcessStartInfo("mosquitto") { ArgumentList = { "-c", _dir.File("mosquitto.conf") }, RedirectStandardError = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !_broker.HasExited)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect("127.0.0.1", BrokerPort);
                return;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        throw new InvalidOperationException("mosquitto did not start: " + (_broker.HasExited ? _broker.StandardError.ReadToEnd() : "timeout"));
    }

    /// <summary>Creates database <paramref name="name"/> and applies the fleet schema, as the first ingest would.</summary>
    public async Task CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(Database.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        await using var store = await FleetStore.OpenAsync(Database.ConnectionString(name), NullLogger.Instance, CancellationToken.None);
    }

    /// <summary>Starts an ingest instance and waits (bounded) until it is connected and subscribed.</summary>
    public async Task<HostProcess> StartIngestAsync(string clientId, string database, string prefix = "workerpool")
    {
        var ingest = Start(["ingest", "--broker", BrokerAddress, "--database", Database.ConnectionString(database), "--client-id", clientId,
            "--group", clientId, "--prefix", prefix, .. IngestArguments]);
        await ingest.WaitForStderrAsync($"Ingest {clientId} connected", TimeSpan.FromMinutes(3));
        return ingest;
    }

    /// <summary>Stops a fleet process with SIGTERM (an ingest keeps its session for the next start) and waits for it.</summary>
    public static async Task StopAsync(HostProcess process)
    {
        if (process.HasExited) return;
        process.Signal(15);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts the fleet program with <paramref name="args"/>.</summary>
    public HostProcess Start(params string[] args)
    {
        var process = HostProcess.StartFile(Script, null, args);
        _processes.Add(process);
        return process;
    }

    /// <summary>One SQL value from <paramref name="database"/>, as a long (0 for null).</summary>
    public async Task<long> ScalarAsync(string sql, string database) =>
        Convert.ToInt64(await Database.ScalarAsync(sql, database) ?? 0L, CultureInfo.InvariantCulture);

    /// <summary>Waits (bounded, polling every 100 ms) until <paramref name="sql"/> gives at least <paramref name="atLeast"/>; returns the last value.</summary>
    public async Task<long> WaitForAsync(string sql, string database, long atLeast, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        long value = 0;
        while (true)
        {
            try { value = await ScalarAsync(sql, database); }
            catch (NpgsqlException) { }
            if (value >= atLeast || DateTime.UtcNow >= deadline) return value;
            await Task.Delay(100);
        }
    }

    public string BrokerLog => File.Exists(_dir.File("mosquitto.log")) ? File.ReadAllText(_dir.File("mosquitto.log")) : "";

    public async ValueTask DisposeAsync()
    {
        // WORKERPOOL_BENCH_LOGS=DIR keeps every fleet process's stderr and the broker's log, for a post-mortem.
        if (Environment.GetEnvironmentVariable("WORKERPOOL_BENCH_LOGS") is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            for (int i = 0; i < _processes.Count; i++) await File.WriteAllLinesAsync(Path.Combine(logs, $"fleet-{i}.stderr"), _processes[i].Stderr);
            await File.WriteAllTextAsync(Path.Combine(logs, "mosquitto.log"), BrokerLog);
        }
        foreach (var p in _processes) await p.DisposeAsync();
        if (_broker is { HasExited: false })
        {
            _broker.Kill();
            await _broker.WaitForExitAsync();
        }
        _broker?.Dispose();
        await Database.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>CPU time and memory of a process, or of a process and its children (PostgreSQL's backends), from /proc.</summary>
internal static class ProcStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>CPU seconds (user + system) used so far by <paramref name="pid"/> and, with <paramref name="tree"/>, its live and reaped children.</summary>
    public static double CpuSeconds(int pid, bool tree = false)
    {
        var stat = Stat(pid);
        if (stat is null) return 0;
        double ticks = stat[11] + stat[12] + (tree ? stat[13] + stat[14] : 0);
        if (tree) foreach (int child in Children(pid)) ticks += Stat(child) is { } s ? s[11] + s[12] : 0;
        return ticks / TicksPerSecond;
    }

    /// <summary>
    /// Resident memory in bytes of <paramref name="pid"/> (VmRSS) or, with <paramref name="tree"/>, of it and its
    /// children as their proportional set sizes (Pss: memory they share, PostgreSQL's shared buffers, counted once).
    /// </summary>
    public static long RssBytes(int pid, bool tree = false)
    {
        if (!tree) return Status(pid, "VmRSS");
        long pss = Rollup(pid, "Pss");
        foreach (int child in Children(pid)) pss += Rollup(child, "Pss");
        return pss;
    }

    private static long Rollup(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    /// <summary>Peak resident memory (VmHWM) of one process, in bytes.</summary>
    public static long PeakRssBytes(int pid) => Status(pid, "VmHWM");

    private static long[]? Stat(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may hold spaces: state is [0], utime [11].
            return [.. text[(text.LastIndexOf(')') + 2)..].Split(' ').Select(f => long.TryParse(f, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : 0)];
        }
        catch (IOException) { return null; }
    }

    private static long Status(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { return 0; }
    }

    private static IEnumerable<int> Children(int pid)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int candidate)) continue;
            if (Stat(candidate) is { Length: > 1 } s && s[1] == pid) yield return candidate;
        }
    }
}

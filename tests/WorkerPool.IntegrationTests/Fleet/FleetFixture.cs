using System.Text.Json;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Fleet;

/// <summary>A real broker and a throwaway PostgreSQL for one fleet test, and helpers to run the fleet program against them.</summary>
public sealed class FleetFixture : IAsyncDisposable
{
    private readonly List<HostProcess> _processes = [];

    private FleetFixture(MosquittoBroker broker, PostgresServer database)
    {
        Broker = broker;
        Database = database;
    }

    public MosquittoBroker Broker { get; }

    public PostgresServer Database { get; }

    public string BrokerAddress => $"127.0.0.1:{Broker.Port}";

    public static string Script => Repo.Path("deploy-scripts", "workerpool-fleet");

    public static async Task<FleetFixture> StartAsync(Func<int, string>? brokerConfig = null)
    {
        var broker = brokerConfig is null ? new MosquittoBroker() : MosquittoBroker.FromConfig(brokerConfig);
        broker.Start();
        var database = new PostgresServer();
        await database.StartAsync();
        return new FleetFixture(broker, database);
    }

    /// <summary>Starts an ingest instance (with <paramref name="options"/> added to its command line) and waits until it is subscribed.</summary>
    public async Task<HostProcess> StartIngestAsync(string clientId, string group = "workerpool-ingest", params string[] options)
    {
        var ingest = HostProcess.StartFile(Script, null, ["ingest", "--broker", BrokerAddress, "--database", Database.ConnectionString(), "--client-id", clientId, "--group", group, .. options]);
        _processes.Add(ingest);
        await ingest.WaitForStderrAsync($"Ingest {clientId} connected", TimeSpan.FromMinutes(3));
        return ingest;
    }

    /// <summary>Runs the fleet program to completion (bounded).</summary>
    public static Task<(int Code, string[] Stdout, string[] Stderr)> RunAsync(TimeSpan timeout, params string[] args) =>
        HostProcess.RunFileAsync(Script, null, timeout, args);

    /// <summary>Runs <c>simulate</c> against the broker; fails the test when it does not exit 0.</summary>
    public async Task<JsonElement> SimulateAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(TimeSpan.FromMinutes(5), ["simulate", "--broker", BrokerAddress, .. args]);
        Assert.True(code == 0, $"simulate exited {code}: {string.Join('\n', stderr.TakeLast(20))}");
        return JsonDocument.Parse(stdout[^1]).RootElement.Clone();
    }

    /// <summary>Runs <c>report</c> (with <paramref name="audit"/>, <c>report --audit</c>) and returns its last line, parsed.</summary>
    public async Task<JsonElement> ReportAsync(bool audit = false)
    {
        var (code, stdout, stderr) = await RunAsync(TimeSpan.FromMinutes(2), ["report", "--database", Database.ConnectionString(), .. (audit ? new[] { "--audit" } : [])]);
        Assert.True(code == 0, $"report exited {code}: {string.Join('\n', stderr.TakeLast(20))}");
        return JsonDocument.Parse(stdout[^1]).RootElement.Clone();
    }

    /// <summary>Waits (bounded) until <paramref name="sql"/> returns at least <paramref name="atLeast"/>; returns the last value.</summary>
    public async Task<long> WaitForAsync(string sql, long atLeast, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        long value = 0;
        while (DateTime.UtcNow < deadline)
        {
            try { value = Convert.ToInt64(await Database.ScalarAsync(sql) ?? 0L, System.Globalization.CultureInfo.InvariantCulture); }
            catch (Npgsql.NpgsqlException) { } // the schema may not exist yet, or the server is being restarted
            if (value >= atLeast) return value;
            await Task.Delay(200);
        }
        return value;
    }

    /// <summary>Copies the broker's log and every fleet process's stderr under TestResults/NAME, for a failure's post-mortem.</summary>
    public void SaveLogs(string name, params HostProcess[] others)
    {
        string dir = Repo.Path("TestResults", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "mosquitto.log"), Broker.LogText);
        for (int i = 0; i < _processes.Count; i++) File.WriteAllLines(Path.Combine(dir, $"fleet-{i}.stderr"), _processes[i].Stderr);
        for (int i = 0; i < others.Length; i++) File.WriteAllLines(Path.Combine(dir, $"other-{i}.stderr"), others[i].Stderr);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes) await p.DisposeAsync();
        await Database.DisposeAsync();
        Broker.Dispose();
    }
}

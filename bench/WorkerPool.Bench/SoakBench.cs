using WorkerPool.IntegrationTests.Soak;
using static WorkerPool.Bench.BenchSupport;

namespace WorkerPool.Bench;

/// <summary>
/// The soak under the full fault schedule (<see cref="SoakPlan.Full"/>): the live service for 30 minutes (or
/// <c>--minutes</c>) with two cameras, against a local Mosquitto, while the broker restarts every 3 min, the RTSP
/// server every 4, cameras every 5, the config every 7, the disk fills once for 60 s and the service is killed once.
/// Prints the report for docs/BENCHMARKS.md. <c>--build published</c> runs artifacts/linux-x64/workerpool.
/// </summary>
internal static class SoakBench
{
    public static async Task<int> RunAsync(int minutes, string build)
    {
        string? binary = null;
        Dictionary<string, string>? environment = null;
        if (build == "published")
        {
            binary = Path.Combine(FindRoot(), "artifacts", "linux-x64", "workerpool");
            if (!File.Exists(binary)) { Console.Error.WriteLine("artifacts/linux-x64 missing: run deploy-scripts/publish.sh linux-x64"); return 1; }
            // As systemd runs it on a device: with the unit's own environment (memory settings).
            environment = UnitEnvironment(Path.Combine(Path.GetDirectoryName(binary)!, "deploy", "systemd", "workerpool.service"));
        }
        var plan = SoakPlan.Full(TimeSpan.FromMinutes(minutes));
        await using var soak = new SoakRun(plan, binary, environment, line => Console.Error.WriteLine(line));
        var report = await soak.RunAsync();
        // A camera reconnects within its stall timeout (10 s) plus one backoff step; heartbeats come every 5 s.
        const double blindLimit = 20;
        Console.WriteLine($"# WorkerPool soak, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {minutes} min");
        Console.WriteLine($"machine: {Machine()}; {Environment.ProcessorCount} cores; .NET {Environment.Version}; environment: " +
            (environment is null ? "none" : string.Join(" ", environment.Select(e => $"{e.Key}={e.Value}"))));
        Console.WriteLine();
        Console.WriteLine(report.Markdown(blindLimit, resources: true));
        if (report.ErrorLines.Length > 0)
        {
            Console.WriteLine("Error-level log lines of the service:");
            Console.WriteLine("```");
            Console.WriteLine(report.ErrorLines);
            Console.WriteLine("```");
        }
        return report.Checks(blindLimit, resources: true).All(c => c.Passed) ? 0 : 1;
    }

    /// <summary>The <c>Environment=NAME=VALUE</c> lines of a systemd unit.</summary>
    private static Dictionary<string, string> UnitEnvironment(string unit) =>
        File.ReadLines(unit).Where(l => l.StartsWith("Environment=", StringComparison.Ordinal))
            .Select(l => l["Environment=".Length..].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
}

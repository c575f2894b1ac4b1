using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using static WorkerPool.Bench.BenchSupport;

namespace WorkerPool.Bench;

/// <summary>
/// The published appliance build against the untrimmed framework-dependent build, in one run, both running
/// <c>run</c> on the sample video (2 workers, 5 fps, a local Mosquitto): time from process start to the first counted
/// frame (the service's own log line), and resident memory after a minute of counting.
/// </summary>
internal static partial class ApplianceBench
{
    private const int SigTerm = 15;

    public static async Task<int> RunAsync(int repeats, int seconds)
    {
        string root = FindRoot();
        string trimmed = Path.Combine(root, "artifacts", "linux-x64", "workerpool");
        string untrimmed = Path.Combine(root, "src", "WorkerPool.Host", "bin", "Release", "net10.0", "workerpool.dll");
        if (!File.Exists(trimmed)) { Console.Error.WriteLine("artifacts/linux-x64 missing: run deploy-scripts/publish.sh linux-x64"); return 1; }
        if (!File.Exists(untrimmed)) { Console.Error.WriteLine("untrimmed build missing: dotnet build -c Release"); return 1; }

        string dir = Directory.CreateTempSubdirectory("workerpool-bench-").FullName;
        var (broker, port) = await StartBrokerAsync(dir);
        using var _ = broker;
        try
        {
            string config = WriteConfig(root, dir, port);
            (string Name, string File, string[] Args)[] variants =
            [
                ("published (trimmed, self-contained)", trimmed, ["run", "--config", config]),
                ("untrimmed (dotnet workerpool.dll)", "dotnet", [untrimmed, "run", "--config", config]),
            ];
            var starts = variants.ToDictionary(v => v.Name, _ => new List<double>());
            for (int r = 0; r < repeats; r++)
                foreach (var v in variants) // interleaved so machine noise hits both alike
                    starts[v.Name].Add(await FirstFrameMsAsync(v.File, v.Args));

            var rss = new Dictionary<string, (long Rss, long Hwm, string Samples)>();
            foreach (var v in variants) rss[v.Name] = await RssAfterAsync(v.File, v.Args, seconds);

            Console.WriteLine($"# WorkerPool appliance benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine($"machine: {Machine()}; {Environment.ProcessorCount} cores; .NET {Environment.Version}; repeats: {repeats}");
            Console.WriteLine();
            Console.WriteLine("| build | process start to first counted frame, ms (median) | runs | RSS after " + seconds + " s | peak RSS | RSS every 10 s, MiB |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
            foreach (var v in variants)
            {
                var (r, h, samples) = rss[v.Name];
                Console.WriteLine($"| {v.Name} | {Median(starts[v.Name]):0} | {Join(starts[v.Name], "0")} | {r / 1048576.0:0} MiB | {h / 1048576.0:0} MiB | {samples} |");
            }
            double ratio = Median(starts[variants[0].Name]) / Median(starts[variants[1].Name]);
            Console.WriteLine();
            Console.WriteLine($"start-up, published / untrimmed: {ratio:0.00}x");
            return 0;
        }
        finally
        {
            broker.Kill();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string WriteConfig(string root, string dir, int port)
    {
        var c = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "device-config", "demo.json")),
            documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!.AsObject();
        c["model"]!["manifest"] = Path.Combine(root, "models", "yolox_nano.json");
        c["outbox"]!["path"] = Path.Combine(dir, "outbox.db");
        c["mqtt"]!["port"] = port;
        c["cameras"]![0]!["url"] = Path.Combine(root, "samples", "vtest.avi");
        c["cameras"]![0]!["fps"] = 5;
        string path = Path.Combine(dir, "bench.json");
        File.WriteAllText(path, c.ToJsonString());
        return path;
    }

    private static Process Start(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    private static async Task StopAsync(Process p)
    {
        _ = kill(p.Id, SigTerm);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); }
    }

    /// <summary>Milliseconds from process start to the service's "First frame counted" line (it measures from the kernel's start time).</summary>
    private static async Task<double> FirstFrameMsAsync(string file, string[] args)
    {
        using var p = Start(file, args);
        _ = p.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            while (await p.StandardError.ReadLineAsync(cts.Token) is { } line)
            {
                var m = FirstFrame().Match(line);
                if (m.Success) return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            throw new InvalidOperationException($"{file} exited before counting a frame");
        }
        finally
        {
            await StopAsync(p);
        }
    }

    /// <summary>Runs for <paramref name="seconds"/>, sampling VmRSS every 10 s; returns the last VmRSS and VmHWM.</summary>
    private static async Task<(long Rss, long Hwm, string Samples)> RssAfterAsync(string file, string[] args, int seconds)
    {
        using var p = Start(file, args);
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        var samples = new List<double>();
        try
        {
            for (int s = 10; s <= seconds; s += 10)
            {
                await Task.Delay(TimeSpan.FromSeconds(10));
                if (p.HasExited) throw new InvalidOperationException($"{file} exited early");
                samples.Add(Status(p.Id, "VmRSS") / 1048576.0);
            }
            return (Status(p.Id, "VmRSS"), Status(p.Id, "VmHWM"), Join(samples, "0"));
        }
        finally
        {
            await StopAsync(p);
        }
    }

    private static long Status(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"First frame counted \(camera \S+\) (\d+) ms after the process started")]
    private static partial System.Text.RegularExpressions.Regex FirstFrame();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Soak;

/// <summary>A fault as it was injected: when it began and ended (seconds since the start), and what happened.</summary>
public sealed record InjectedFault(Fault Fault, double Started, double Ended, string Note);

/// <summary>The service's resources at one moment.</summary>
public sealed record ResourceSample(double At, int Pid, long RssBytes, int Threads, int Fds, int FfmpegChildren);

/// <summary>
/// The live service under a fault schedule (<see cref="SoakPlan"/>): two cameras (the sample looping at 5 fps, and
/// an RTSP camera from the loopback GStreamer server at 5 fps), two pinned workers, a local Mosquitto with
/// persistence, the outbox on its own small file system (a tmpfs, so it can be filled), and a fleet-side observer.
/// Runs the checkout's build (<c>deploy-scripts/workerpool</c>) or a published binary.
/// </summary>
public sealed partial class SoakRun : IAsyncDisposable
{
    public const string Device = "demo-01";
    private readonly SoakPlan _plan;
    private readonly string? _binary;
    private readonly IReadOnlyDictionary<string, string>? _environment;
    private readonly Action<string> _say;
    private readonly TempDir _dir = new();
    private readonly string _data;
    private readonly MosquittoBroker _broker = new();
    private readonly RtspServer _rtsp = new();
    private readonly Stopwatch _clock = new();
    private readonly List<HostProcess> _hosts = [];
    private readonly List<(double At, int Pid)> _starts = [];
    private readonly List<ResourceSample> _samples = [];
    private readonly List<InjectedFault> _faults = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _tmpfs;
    private SoakObserver? _observer;
    private string _config = "";
    private JsonArray _cameras = [];
    private long _configVersion;
    private int _restartCount;

    /// <param name="binary">A published <c>workerpool</c> binary, or null for the checkout's build.</param>
    /// <param name="environment">Extra environment for the service (the systemd unit's <c>Environment=</c> lines, to run it as a device does).</param>
    /// <param name="say">Progress lines (the benchmark prints them; tests ignore them).</param>
    public SoakRun(SoakPlan plan, string? binary = null, IReadOnlyDictionary<string, string>? environment = null, Action<string>? say = null)
    {
        _plan = plan;
        _binary = binary;
        _environment = environment;
        _say = say ?? (_ => { });
        _data = _dir.File("data");
        Directory.CreateDirectory(_data);
        _tmpfs = Tmpfs.TryMount(_data, "64m");
    }

    /// <summary>False where a tmpfs cannot be mounted (not root): the full-disk fault is skipped then.</summary>
    public bool CanFillDisk => _tmpfs;

    /// <summary>Runs the schedule, stops the service cleanly, waits for every stored record to arrive, and reports.</summary>
    public async Task<SoakReport> RunAsync()
    {
        _broker.Start();
        _rtsp.Start();
        _config = WriteConfig();
        _clock.Start();
        _observer = new SoakObserver(_clock);
        await _observer.StartAsync(_broker.Port, $"workerpool/{Device}/#");
        StartHost();
        await WaitForAsync(() => Host.Count("First frame counted") > 0, TimeSpan.FromMinutes(3), "the first counted frame");
        var sampling = Task.Run(SampleAsync);

        foreach (var e in _plan.Schedule())
        {
            var due = e.At - _clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
            double started = Now;
            string note = await InjectAsync(e.Fault);
            _faults.Add(new InjectedFault(e.Fault, started, Now, note));
            _say($"{started,7:0.0} s  {e.Fault}: {note}");
        }
        var rest = _plan.Duration - _clock.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest);
        double end = Now;
        await _stop.CancelAsync();
        await sampling;

        Host.Signal(15);
        int exit = await Host.WaitForExitAsync(TimeSpan.FromSeconds(90));
        _say($"{Now,7:0.0} s  stopped (exit code {exit}); waiting for every stored record to arrive");
        var stored = StoredSeqs();
        await WaitForAsync(() => stored.All(s => ReceivedSeqs(s.Key).Count >= s.Value), TimeSpan.FromMinutes(2), "every stored record at the observer",
            throwOnTimeout: false);
        return new SoakReport(_plan, _binary ?? "checkout (deploy-scripts/workerpool)", end, exit, stored,
            stored.Keys.ToDictionary(c => c, ReceivedSeqs), [.. _observer.Messages], [.. _samples], [.. _starts], [.. _faults], _tmpfs,
            string.Join("\n", _hosts.SelectMany(h => h.Stderr).Where(l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains("crit", StringComparison.Ordinal))));
    }

    private double Now => _clock.Elapsed.TotalSeconds;

    private HostProcess Host => _hosts[^1];

    private void StartHost()
    {
        var host = HostProcess.StartFile(_binary ?? Repo.HostScript, _environment, "run", "--config", _config);
        _hosts.Add(host);
        _starts.Add((Now, host.Pid));
    }

    private async Task<string> InjectAsync(Fault fault)
    {
        switch (fault)
        {
            case Fault.BrokerRestart:
                _broker.Stop();
                _broker.Start();
                return "stopped and started";
            case Fault.RtspRestart:
                _rtsp.Kill();
                _rtsp.Start();
                return "killed and started";
            case Fault.RestartCamera:
                string camera = _restartCount++ % 2 == 0 ? "vtest" : "rtsp";
                // The broker (or the service) may be restarting just now: try for a while, as an operator would.
                for (int attempt = 1; attempt <= 10; attempt++)
                {
                    var reply = await _observer!.RequestAsync($"workerpool/{Device}/cmd/restart-camera", $$"""{"camera":"{{camera}}"}""", TimeSpan.FromSeconds(5));
                    if (reply is { } r) return $"{camera}: {r.GetRawText()}" + (attempt > 1 ? $" (try {attempt})" : "");
                    await Task.Delay(1000);
                }
                return $"{camera}: no reply in 10 tries";
            case Fault.DiskFull:
                if (!_tmpfs) return "skipped (mounting a tmpfs needs root)";
                string filler = Path.Combine(_data, "filler");
                Tmpfs.Fill(filler);
                await Task.Delay(_plan.DiskFullFor);
                File.Delete(filler);
                return $"full for {_plan.DiskFullFor.TotalSeconds:0} s";
            case Fault.ConfigChange:
                long version = ++_configVersion;
                var cameras = _cameras.DeepClone().AsArray();
                // Odd versions move a line (applied in place); even ones change the RTSP camera's source settings.
                if (version % 2 == 1) cameras[0]!["lines"]![0]!["from"] = new JsonArray(0.5 + version % 4 * 0.01, 0.0);
                else cameras[1]!["stallTimeoutSeconds"] = 10 + version % 4;
                string desired = new JsonObject { ["version"] = version, ["config"] = new JsonObject { ["cameras"] = cameras } }.ToJsonString();
                int tries = 1;
                while (!await _observer!.PublishAsync($"workerpool/{Device}/config/desired", desired, retain: true) && tries < 10)
                {
                    tries++;
                    await Task.Delay(1000);
                }
                return $"version {version} {(version % 2 == 1 ? "(line moved)" : "(RTSP source changed)")}" + (tries > 1 ? $" (try {tries})" : "");
            default: // Kill9
                Host.Signal(9);
                await Host.WaitForExitAsync(TimeSpan.FromSeconds(30));
                StartHost();
                return $"killed; started again as pid {Host.Pid}";
        }
    }

    private async Task SampleAsync()
    {
        var every = TimeSpan.FromSeconds(_plan.Scale < 1 ? 5 : 15);
        while (!_stop.IsCancellationRequested)
        {
            if (Sample(Host.Pid) is { } s) lock (_samples) _samples.Add(s);
            try { await Task.Delay(every, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    private ResourceSample? Sample(int pid)
    {
        try
        {
            long rss = 0;
            int threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = long.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
            }
            int fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            return new ResourceSample(Now, pid, rss, threads, fds, FfmpegChildren(pid));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; } // between a kill and a start
    }

    /// <summary>FFmpeg processes whose parent is the service.</summary>
    public static int FfmpegChildren(int pid)
    {
        int n = 0;
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                string comm = stat[(open + 1)..close];
                string[] rest = stat[(close + 2)..].Split(' ');
                if (comm == "ffmpeg" && rest[1] == pid.ToString(CultureInfo.InvariantCulture)) n++;
            }
            catch (IOException) { } // it ended meanwhile
        }
        return n;
    }

    /// <summary>The last seq the service stored per camera, from its own log lines, across every process of the run.</summary>
    private Dictionary<string, long> StoredSeqs()
    {
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in _hosts.SelectMany(h => h.Stderr))
            if (StoredLine().Match(line) is { Success: true } m)
                last[m.Groups[1].Value] = Math.Max(last.GetValueOrDefault(m.Groups[1].Value), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        return last;
    }

    private HashSet<long> ReceivedSeqs(string camera) =>
        [.. _observer!.Messages.Where(m => m.Topic == $"workerpool/{Device}/counts/{camera}").Select(m => m.Json.GetProperty("seq").GetInt64())];

    private string WriteConfig() => ConfigFiles.DeriveFromDemo(_dir, "soak.json", c =>
    {
        c["outbox"]!["path"] = Path.Combine(_data, "outbox.db");
        c["outbox"]!["minFreeBytes"] = 1024 * 1024;
        c["mqtt"]!["enabled"] = true;
        c["mqtt"]!["port"] = _broker.Port;
        c["mqtt"]!["heartbeatSeconds"] = _plan.HeartbeatSeconds;
        c["mqtt"]!["keepAliveSeconds"] = 5;
        c["mqtt"]!["maxBackoffSeconds"] = 2;
        c["mqtt"]!["timeoutSeconds"] = 5;
        c["counting"]!["windowSeconds"] = _plan.WindowSeconds;
        var file = c["cameras"]![0]!.AsObject();
        file["fps"] = 5;
        var rtsp = file.DeepClone().AsObject();
        rtsp["id"] = "rtsp";
        rtsp["url"] = _rtsp.Url;
        rtsp.Remove("loop");
        rtsp["stallTimeoutSeconds"] = 10;
        c["cameras"]!.AsArray().Add(rtsp);
        _cameras = c["cameras"]!.DeepClone().AsArray();
    });

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what, bool throwOnTimeout = true)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                if (throwOnTimeout) throw new TimeoutException($"{what} not seen within {timeout}");
                return;
            }
            await Task.Delay(200);
        }
    }

    [GeneratedRegex(@"Stored count record (\S+) seq (\d+)")]
    private static partial Regex StoredLine();

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts) await host.DisposeAsync();
        if (_observer is not null) await _observer.DisposeAsync();
        _rtsp.Dispose();
        _broker.Dispose();
        if (_tmpfs) Tmpfs.Unmount(_data);
        _stop.Dispose();
        _dir.Dispose();
    }
}

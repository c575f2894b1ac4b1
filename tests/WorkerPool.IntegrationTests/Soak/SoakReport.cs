using System.Globalization;
using System.Text;
using System.Text.Json;

namespace WorkerPool.IntegrationTests.Soak;

/// <summary>One check of the soak: what, whether it held, and the figure behind it.</summary>
public sealed record SoakCheck(string What, bool Passed, string Detail);

/// <summary>What a soak run saw, and the figures <c>docs/BENCHMARKS.md</c> records: completeness, gaps, resources, health per fault.</summary>
public sealed class SoakReport(SoakPlan plan, string build, double faultsEnd, int exitCode, IReadOnlyDictionary<string, long> stored,
    IReadOnlyDictionary<string, HashSet<long>> received, IReadOnlyList<Observed> messages, IReadOnlyList<ResourceSample> samples,
    IReadOnlyList<(double At, int Pid)> starts, IReadOnlyList<InjectedFault> faults, bool diskFilled, string errorLines)
{
    private const double MiB = 1024 * 1024;

    public SoakPlan Plan => plan;

    public int ExitCode => exitCode;

    public IReadOnlyList<InjectedFault> Faults => faults;

    /// <summary>Error-level log lines of the service during the run (for the report; some are expected, e.g. a kill's lost window).</summary>
    public string ErrorLines => errorLines;

    private IEnumerable<Observed> Heartbeats => messages.Where(m => m.Topic.EndsWith("/heartbeat", StringComparison.Ordinal));

    /// <summary>Per camera: last seq stored, records received (distinct), the missing seqs.</summary>
    public IEnumerable<(string Camera, long Stored, int Received, long[] Missing)> Completeness() =>
        stored.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value, received[s.Key].Count,
            Enumerable.Range(1, (int)s.Value).Select(i => (long)i).Where(i => !received[s.Key].Contains(i)).ToArray()));

    /// <summary>Count records that arrived more than once (at-least-once delivery: the fleet side drops them by messageId).</summary>
    public int Duplicates => messages.Where(m => m.Topic.Contains("/counts/", StringComparison.Ordinal)).GroupBy(m => m.MessageId).Sum(g => g.Count() - 1);

    /// <summary>The longest time between two heartbeats at the observer, and when it ended.</summary>
    public (double Seconds, double EndedAt) LongestHeartbeatGap()
    {
        var times = Heartbeats.Select(h => h.At).ToArray();
        var best = (0.0, 0.0);
        for (int i = 1; i < times.Length; i++) if (times[i] - times[i - 1] > best.Item1) best = (times[i] - times[i - 1], times[i]);
        return best;
    }

    /// <summary>Per camera seen, the longest stretch (seconds) of heartbeats saying "connected" while its admitted-frame count did not grow (0: never).</summary>
    public Dictionary<string, (double Seconds, double EndedAt)> LongestConnectedWithoutFrames()
    {
        var longest = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        var since = new Dictionary<string, (double At, long Admitted, string Boot)>(StringComparer.Ordinal);
        foreach (var hb in Heartbeats)
        {
            string boot = hb.Json.GetProperty("bootTime").GetString() ?? "";
            foreach (var cam in hb.Json.GetProperty("cameras").EnumerateArray())
            {
                string id = cam.GetProperty("id").GetString()!;
                long admitted = cam.GetProperty("framesAdmitted").GetInt64();
                longest.TryAdd(id, (0, 0)); // every camera seen gets a figure, 0 when it never went blind
                if (cam.GetProperty("state").GetString() != "connected") { since.Remove(id); continue; }
                if (!since.TryGetValue(id, out var s) || s.Boot != boot || admitted != s.Admitted)
                {
                    since[id] = (hb.At, admitted, boot);
                    continue;
                }
                double stretch = hb.At - s.At;
                if (stretch > longest.GetValueOrDefault(id).Item1) longest[id] = (stretch, hb.At);
            }
        }
        return longest;
    }

    /// <summary>What the heartbeats said about health while each fault lasted (and 15 s, scaled, after it).</summary>
    public IEnumerable<(InjectedFault Fault, string Said)> HealthDuringFaults()
    {
        double settle = Math.Max(5, 15 * plan.Scale);
        foreach (var f in faults)
        {
            var said = Heartbeats.Where(h => h.At >= f.Started && h.At <= f.Ended + settle)
                .Select(h => h.Json.GetProperty("health")).Select(h => h.GetProperty("state").GetString() + (h.TryGetProperty("reason", out var r) ? $" ({r.GetString()})" : ""))
                .Distinct().ToArray();
            yield return (f, said.Length == 0 ? "no heartbeat (broker or service down)" : string.Join("; ", said));
        }
    }

    /// <summary>The samples of the process that ran last (from its start to the end of the faults).</summary>
    public ResourceSample[] LastProcess()
    {
        var (at, pid) = starts[^1];
        return [.. samples.Where(s => s.Pid == pid && s.At >= at)];
    }

    /// <summary>RSS, threads, fds and FFmpeg children of the last process at warm-up and at the end.</summary>
    public (ResourceSample? WarmedUp, ResourceSample? End) Resources()
    {
        var last = LastProcess();
        double started = starts[^1].At;
        return (last.FirstOrDefault(s => s.At - started >= plan.WarmUp.TotalSeconds), last.LastOrDefault());
    }

    /// <summary>The RSS plateau (median of the last third of the last process's samples) and when RSS reached it (first sample after which all stay within 3 %).</summary>
    public (double PlateauMiB, double ReachedAfterSeconds) RssPlateau()
    {
        var last = LastProcess();
        if (last.Length < 3) return (0, 0);
        double plateau = last.Skip(last.Length * 2 / 3).Select(s => s.RssBytes / MiB).Order().ElementAt((last.Length - last.Length * 2 / 3) / 2);
        int from = last.Length - 1;
        while (from > 0 && Math.Abs(last[from - 1].RssBytes / MiB - plateau) <= plateau * 0.03) from--;
        return (plateau, last[from].At - starts[^1].At);
    }

    /// <summary>The checks: complete and gapless, children not accumulating, camera blindness within the reconnect time, health during a full disk; resources on long runs.</summary>
    public IReadOnlyList<SoakCheck> Checks(double blindLimitSeconds, bool resources)
    {
        var checks = new List<SoakCheck>();
        foreach (var (camera, last, got, missing) in Completeness())
            checks.Add(new($"camera {camera}: every stored record arrived, seq 1..{last} without a gap", missing.Length == 0 && last > 0,
                missing.Length == 0 ? $"{got} received" : "missing " + string.Join(",", missing.Take(20))));
        var (warm, end) = Resources();
        checks.Add(new("FFmpeg children do not accumulate (at most one, for the RTSP camera)", samples.All(s => s.FfmpegChildren <= 1),
            "max " + (samples.Count == 0 ? 0 : samples.Max(s => s.FfmpegChildren))));
        foreach (var (camera, (seconds, at)) in LongestConnectedWithoutFrames())
            checks.Add(new($"camera {camera}: connected with no frame admitted for at most {blindLimitSeconds:0} s", seconds <= blindLimitSeconds,
                $"{seconds:0} s, ending at {at:0} s"));
        if (diskFilled)
            checks.Add(new("health said degraded (outbox failing) while the disk was full",
                HealthDuringFaults().Where(h => h.Fault.Fault == Fault.DiskFull).All(h => h.Said.Contains("degraded (outbox failing", StringComparison.Ordinal)),
                string.Join(" | ", HealthDuringFaults().Where(h => h.Fault.Fault == Fault.DiskFull).Select(h => h.Said))));
        checks.Add(new("the service stopped cleanly at the end", exitCode == 0, $"exit code {exitCode}"));
        if (resources && warm is not null && end is not null)
        {
            checks.Add(new("RSS grows at most 5 % after warm-up", end.RssBytes <= warm.RssBytes * 1.05, $"{warm.RssBytes / MiB:0} -> {end.RssBytes / MiB:0} MiB"));
            checks.Add(new("threads grow at most 5 % after warm-up", end.Threads <= warm.Threads * 1.05, $"{warm.Threads} -> {end.Threads}"));
            checks.Add(new("open fds grow at most 5 % after warm-up", end.Fds <= warm.Fds * 1.05, $"{warm.Fds} -> {end.Fds}"));
        }
        return checks;
    }

    /// <summary>The report as Markdown, for docs/BENCHMARKS.md.</summary>
    public string Markdown(double blindLimitSeconds, bool resources)
    {
        var s = new StringBuilder();
        string F(double v, string format = "0") => v.ToString(format, CultureInfo.InvariantCulture);
        s.AppendLine(CultureInfo.InvariantCulture, $"Build: {build}. Faults over {F(faultsEnd / 60, "0.0")} min, {faults.Count} injected; window {plan.WindowSeconds} s, heartbeat {plan.HeartbeatSeconds} s.");
        s.AppendLine();
        s.AppendLine("| camera | windows closed (last seq stored) | records received (distinct) | missing seqs | duplicates (all cameras) |");
        s.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var (camera, last, got, missing) in Completeness())
            s.AppendLine(CultureInfo.InvariantCulture, $"| {camera} | {last} | {got} | {(missing.Length == 0 ? "none" : string.Join(", ", missing.Take(20)))} | {Duplicates} |");
        s.AppendLine();
        var (gap, gapAt) = LongestHeartbeatGap();
        s.AppendLine(CultureInfo.InvariantCulture, $"- Longest heartbeat gap: {F(gap, "0.0")} s (ending at {F(gapAt)} s).");
        foreach (var (camera, (seconds, at)) in LongestConnectedWithoutFrames())
            s.AppendLine(CultureInfo.InvariantCulture, $"- Longest stretch of camera {camera} reported connected with no frame admitted: {F(seconds, "0.0")} s (ending at {F(at)} s).");
        var (warm, end) = Resources();
        if (warm is not null && end is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- Last process (pid {end.Pid}), {F(plan.WarmUp.TotalMinutes, "0.#")} min after its start -> end: RSS {F(warm.RssBytes / MiB)} -> {F(end.RssBytes / MiB)} MiB, threads {warm.Threads} -> {end.Threads}, fds {warm.Fds} -> {end.Fds}, FFmpeg children {warm.FfmpegChildren} -> {end.FfmpegChildren}.");
            var (plateau, reached) = RssPlateau();
            string all = string.Join(" ", LastProcess().Select(x => F(x.RssBytes / MiB)));
            s.AppendLine(CultureInfo.InvariantCulture, $"- RSS plateau {F(plateau)} MiB, reached {F(reached / 60, "0.0")} min after start. Every sample (MiB): {all}");
        }
        s.AppendLine();
        s.AppendLine("| at (s) | fault | what happened | what health said (heartbeats during it) |");
        s.AppendLine("| --- | --- | --- | --- |");
        foreach (var (f, said) in HealthDuringFaults())
            s.AppendLine(CultureInfo.InvariantCulture, $"| {F(f.Started)} | {f.Fault} | {f.Note.Replace("|", "/", StringComparison.Ordinal)} | {said.Replace("|", "/", StringComparison.Ordinal)} |");
        s.AppendLine();
        s.AppendLine("| check | result | figure |");
        s.AppendLine("| --- | --- | --- |");
        foreach (var c in Checks(blindLimitSeconds, resources)) s.AppendLine(CultureInfo.InvariantCulture, $"| {c.What} | {(c.Passed ? "pass" : "**FAIL**")} | {c.Detail} |");
        return s.ToString();
    }
}

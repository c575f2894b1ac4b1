using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Outbox;

namespace WorkerPool.IntegrationTests.Outbox;

/// <summary>The real service on the sample video, killed with SIGKILL in the middle of a window.</summary>
public sealed partial class CrashCheckpointTests : IDisposable
{
    private const int SigKill = 9;
    // The bound the docs state: counting.checkpointSeconds (4) plus the write and the 1 s tick, with room for a busy CI machine.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(6);
    private readonly TempDir _dir = new();

    private sealed record Crossing(DateTimeOffset At, string Line, string Direction);

    [GeneratedRegex(@"^(\S+Z) dbug: WorkerPool\.Counting\[6101\] Crossing on camera \S+, line (\S+): (in|out), track \d+$")]
    private static partial Regex CrossingLine();

    private static List<Crossing> Crossings(HostProcess host) =>
        host.Stderr.Select(l => CrossingLine().Match(l)).Where(m => m.Success)
            .Select(m => new Crossing(DateTimeOffset.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value, m.Groups[3].Value))
            .ToList();

    [Fact]
    public async Task Kill9MidWindow_CrossingsMadeUpToAFewSecondsBeforeTheKill_AreInTheStoredRecords()
    {
        // One-hour windows: the kill falls in the middle of one, as a power cut would.
        string config = ConfigFiles.DeriveFromDemo(_dir, "config.json", c =>
        {
            c["counting"]!["windowSeconds"] = 3600;
            c["cameras"]![0]!["loop"] = true;
            c["cameras"]![0]!["fps"] = 5;
        });
        var environment = new Dictionary<string, string> { [LogLevelOverrides.Variable] = "WorkerPool.Counting=Debug" };
        DateTimeOffset started = DateTimeOffset.UtcNow, killed;
        List<Crossing> expected;
        await using (var host = HostProcess.StartFile(Repo.HostScript, environment, "run", "--config", config))
        {
            // Until at least three crossings are older than the margin (bounded: the sample has a crossing every few seconds).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(150);
            while (Crossings(host).Count(c => c.At <= DateTimeOffset.UtcNow - Margin) < 3)
            {
                Assert.False(host.HasExited, "the service stopped:\n" + host.Tail());
                Assert.True(DateTime.UtcNow < deadline, "fewer than 3 crossings were logged:\n" + host.Tail());
                await Task.Delay(200);
            }
            killed = DateTimeOffset.UtcNow;
            host.Signal(SigKill);
            Assert.Equal(128 + SigKill, await host.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            expected = Crossings(host).Where(c => c.At <= killed - Margin).ToList();
        }

        // The next start, as the service opens its outbox.
        using var outbox = CountOutbox.Open(_dir.File("outbox.db"), new OutboxOptions(), TimeProvider.System, NullLogger.Instance);
        var records = outbox.ReadOldest(1000).Select(e => JsonSerializer.Deserialize(e.Payload, ContractJsonContext.Default.CountRecord)!).ToList();

        foreach (var group in expected.GroupBy(c => (c.Line, c.Direction)))
        {
            long stored = records.Sum(r => r.Lines.TryGetValue(group.Key.Line, out var count) ? group.Key.Direction == "in" ? count.In : count.Out : 0);
            Assert.True(stored >= group.Count(), $"line {group.Key.Line} {group.Key.Direction}: {group.Count()} crossing(s) made at least {Margin.TotalSeconds} s before the kill, {stored} stored");
        }
        // The kill fell inside the window the service started in (unless an hour boundary passed during the run): it is the partial record.
        if (started.UtcTicks / TimeSpan.TicksPerHour == killed.UtcTicks / TimeSpan.TicksPerHour)
        {
            var partial = Assert.Single(records);
            Assert.True(partial.Partial);
            Assert.Equal(1, partial.Seq);
        }
        else Assert.Contains(records, r => r.Partial);
    }

    public void Dispose() => _dir.Dispose();
}

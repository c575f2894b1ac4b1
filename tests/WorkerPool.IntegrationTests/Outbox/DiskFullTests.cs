using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Health;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Outbox;

namespace WorkerPool.IntegrationTests.Outbox;

/// <summary>A real full disk: the outbox on a small tmpfs (needs root to mount; skipped elsewhere).</summary>
public sealed class DiskFullTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();
    private bool _mounted;

    private static CountRecord Record(int n) => new()
    {
        DeviceId = "dev", CameraId = "cam", FramesProcessed = n,
        WindowStart = DateTimeOffset.UnixEpoch.AddMinutes(n), WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(n + 1),
    };

    private void MountTmpfs(string size)
    {
        Skip.IfNot(Tmpfs.TryMount(_dir.Path, size), "mounting a small tmpfs needs root");
        _mounted = true;
    }

    [SkippableFact]
    public void DiskFull_RecordsWaitInMemoryWithAClearErrorAndAreStoredInOrderOnceThereIsRoom()
    {
        MountTmpfs("2m");
        string db = Path.Combine(_dir.Path, "outbox.db");
        using var outbox = CountOutbox.Open(db, new OutboxOptions { MinFreeBytes = 64 * 1024 }, TimeProvider.System, NullLogger.Instance);
        Assert.Equal(1, outbox.Append(Record(1))!.Seq);

        Tmpfs.Fill(Path.Combine(_dir.Path, "filler"));
        int stored = 0;
        for (int i = 2; i <= 40; i++) stored += outbox.Append(Record(i)) is null ? 0 : 1;

        var full = outbox.Stats();
        Assert.True(full.PendingInMemory > 0, "nothing was held back although the disk is full");
        Assert.Contains("disk almost full", full.LastError, StringComparison.Ordinal);

        File.Delete(Path.Combine(_dir.Path, "filler"));
        Assert.NotNull(outbox.Append(Record(41)));

        var all = outbox.ReadOldest(100);
        Assert.Equal(Enumerable.Range(1, 41).Select(i => (long)i), all.Select(e => e.Seq)); // nothing lost, in order
        Assert.Equal(Enumerable.Range(1, 41).Select(i => (long)i),
            all.Select(e => System.Text.Json.JsonDocument.Parse(e.Payload).RootElement.GetProperty("framesProcessed").GetInt64()));
        Assert.Equal(0, outbox.Stats().PendingInMemory);
        Assert.Null(outbox.Stats().LastError);
    }

    [SkippableFact]
    public async Task DiskFullWithABacklog_ReadsGoOn_DeletesWait_StatsNeverThrow_AndEverythingIsStoredInOrderOnceThereIsRoom()
    {
        // Deleting needs room in LiteDB's log too: a delete that met ENOSPC left LiteDB's streams disposed (every
        // later call threw) or its log writer waiting forever. Every write now stops at the free-space margin.
        MountTmpfs("2m");
        string db = Path.Combine(_dir.Path, "outbox.db");
        using var outbox = CountOutbox.Open(db, new OutboxOptions { MinFreeBytes = 64 * 1024 }, TimeProvider.System, NullLogger.Instance);
        for (int i = 1; i <= 3; i++) Assert.NotNull(outbox.Append(Record(i)));

        Tmpfs.Fill(Path.Combine(_dir.Path, "filler"));
        for (int i = 4; i <= 40; i++) Assert.Null(outbox.Append(Record(i)));
        outbox.Delete([outbox.ReadOldest(1).Single().Id]); // the broker acknowledged seq 1

        var full = outbox.Stats();
        Assert.Equal((37, 2L), (full.PendingInMemory, full.Backlog));
        Assert.Contains("disk almost full", full.LastError, StringComparison.Ordinal);
        Assert.Equal([2L, 3], outbox.ReadOldest(10).Select(e => e.Seq)); // publishing goes on; seq 1 is not sent again

        File.Delete(Path.Combine(_dir.Path, "filler"));
        // The outbox retries on its own: no new record is needed to store the held ones.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (outbox.Stats() is { PendingInMemory: > 0 } or { LastError: not null } && DateTime.UtcNow < deadline) await Task.Delay(100);

        var stats = outbox.Stats();
        Assert.Equal((0, (string?)null, 39L), (stats.PendingInMemory, stats.LastError, stats.Backlog));
        var all = outbox.ReadOldest(100);
        Assert.Equal(Enumerable.Range(2, 39).Select(i => (long)i), all.Select(e => e.Seq)); // 1 was acknowledged and deleted
        Assert.Equal(all.Select(e => e.Seq),
            all.Select(e => System.Text.Json.JsonDocument.Parse(e.Payload).RootElement.GetProperty("framesProcessed").GetInt64()));
    }

    [SkippableFact]
    public async Task Service_DiskFullWithABacklog_KeepsSendingHeartbeatsThatSayWhy_HealthSaysDegraded_AndNothingIsLost()
    {
        MountTmpfs("16m");
        using var broker = new MosquittoBroker();
        using var files = new TempDir();
        string config = ConfigFiles.DeriveServiceConfig(files, "service.json", broker.Port, c =>
        {
            c["outbox"]!["path"] = Path.Combine(_dir.Path, "outbox.db");
            c["outbox"]!["minFreeBytes"] = 256 * 1024;
            c["mqtt"]!["heartbeatSeconds"] = 1;
            c["mqtt"]!["maxBackoffSeconds"] = 1;
        });
        await using var host = HostProcess.Start("run", "--config", config);
        // A backlog first (broker down), then the disk fills, then the broker comes back.
        await host.WaitForCountAsync("Stored count record", 5, TimeSpan.FromSeconds(90));
        Tmpfs.Fill(Path.Combine(_dir.Path, "filler"));
        broker.Start();
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(broker.Port, "workerpool/demo-01/#");

        static bool IsHeartbeat(Received m) => m.Topic.EndsWith("/heartbeat", StringComparison.Ordinal);
        var failing = await probe.WaitForAsync(m => m.Any(x => IsHeartbeat(x) && x.Json.GetProperty("outbox").TryGetProperty("lastError", out _)
            && x.Json.GetProperty("health").GetProperty("state").GetString() == "degraded"), TimeSpan.FromSeconds(60), "a heartbeat that reports the full disk");
        var hb = failing.Last(x => IsHeartbeat(x) && x.Json.GetProperty("outbox").TryGetProperty("lastError", out _)).Json;
        Assert.Contains("outbox failing", hb.GetProperty("health").GetProperty("reason").GetString(), StringComparison.Ordinal);
        // The health file lives on the full disk too (beside the outbox): it must not keep saying "healthy".
        await WaitForAsync(() => HealthFile.Read(Path.Combine(_dir.Path, "health.json"))?.State == "degraded", "the health file saying degraded");
        // Said at warning level or above, not at debug.
        Assert.Contains(host.Stderr, l => (l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal))
            && l.Contains("WorkerPool.Outbox[", StringComparison.Ordinal) && l.Contains("disk almost full", StringComparison.Ordinal));
        int heartbeatsWhileFull = failing.Count(IsHeartbeat);
        await probe.WaitForAsync(m => m.Count(IsHeartbeat) >= heartbeatsWhileFull + 3, TimeSpan.FromSeconds(30), "heartbeats going on while the disk is full");

        File.Delete(Path.Combine(_dir.Path, "filler"));
        int freedAt = probe.Messages.Count;
        var recovered = await probe.WaitForAsync(m => m.Skip(freedAt).Any(x => IsHeartbeat(x) && !x.Json.GetProperty("outbox").TryGetProperty("lastError", out _)
            && x.Json.GetProperty("outbox").GetProperty("pendingInMemory").GetInt32() == 0 && x.Json.GetProperty("outbox").GetProperty("backlog").GetInt64() == 0
            && x.Json.GetProperty("health").GetProperty("state").GetString() == "healthy"),
            TimeSpan.FromSeconds(60), "a heartbeat after the disk was freed, with nothing held back");
        var last = recovered.Last(IsHeartbeat).Json.GetProperty("outbox");
        Assert.Equal(0, last.GetProperty("lostUnstored").GetInt64());

        // Every record made before, during and after the full disk arrived: seq 1..n, no gap.
        var seqs = probe.Messages.Where(m => m.Topic.Contains("/counts/", StringComparison.Ordinal))
            .DistinctBy(m => m.UserProperties["messageId"]).Select(m => m.Json.GetProperty("seq").GetInt64()).Order().ToArray();
        Assert.True(seqs.Length >= 5, $"only {seqs.Length} records arrived");
        Assert.Equal(Enumerable.Range(1, seqs.Length).Select(i => (long)i), seqs);
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what + " not seen within 30 s");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        if (_mounted) Tmpfs.Unmount(_dir.Path);
        _dir.Dispose();
    }
}

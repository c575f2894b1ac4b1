using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Outbox;

namespace WorkerPool.IntegrationTests.Outbox;

/// <summary>A real full disk: the outbox on a 2 MiB tmpfs (needs root to mount; skipped elsewhere).</summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly TempDir _dir = new();
    private bool _mounted;

    private static int Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        p.WaitForExit(20_000);
        return p.ExitCode;
    }

    private static CountRecord Record(int n) => new()
    {
        DeviceId = "dev", CameraId = "cam", FramesProcessed = n,
        WindowStart = DateTimeOffset.UnixEpoch.AddMinutes(n), WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(n + 1),
    };

    private static void Fill(string path)
    {
        var chunk = new byte[16 * 1024];
        using var filler = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        try
        {
            for (int i = 0; i < 10_000; i++) { filler.Write(chunk); filler.Flush(); }
        }
        catch (IOException) { } // ENOSPC: the disk is full now
    }

    [SkippableFact]
    public void DiskFull_RecordsWaitInMemoryWithAClearErrorAndAreStoredInOrderOnceThereIsRoom()
    {
        Skip.IfNot(Environment.UserName == "root" && Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _dir.Path) == 0,
            "mounting a small tmpfs needs root");
        _mounted = true;
        string db = Path.Combine(_dir.Path, "outbox.db");
        using var outbox = CountOutbox.Open(db, new OutboxOptions { MinFreeBytes = 64 * 1024 }, TimeProvider.System, NullLogger.Instance);
        Assert.Equal(1, outbox.Append(Record(1))!.Seq);

        Fill(Path.Combine(_dir.Path, "filler"));
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

    public void Dispose()
    {
        if (_mounted) Run("umount", "-l", _dir.Path);
        _dir.Dispose();
    }
}

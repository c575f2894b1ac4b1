using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

/// <summary>The seq ranges the outbox knows are gone for good, as the heartbeat's <c>outbox.losses</c> reports them.</summary>
public sealed class OutboxLossesTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    private CountOutbox Open(OutboxOptions? options = null) =>
        CountOutbox.Open(_files.DbPath, options ?? new OutboxOptions(), _files.Time, NullLogger.Instance, new FixedHostClock());

    private static CountRecord Record(string camera) => new() { DeviceId = "dev", CameraId = camera };

    [Fact]
    public void RetentionDropOfUnsentRecords_IsOneRetentionRange_AndSurvivesARestart()
    {
        using (var outbox = Open(new OutboxOptions { MaxRecords = 3 }))
        {
            for (int i = 0; i < 7; i++) outbox.Append(Record("a"));
            Assert.Equal([new LossRange("a", 1, 4, "retention")], outbox.Losses);
        }
        using var reopened = Open(new OutboxOptions { MaxRecords = 3 });
        Assert.Equal([new LossRange("a", 1, 4, "retention")], reopened.Losses);
    }

    [Fact]
    public void RetentionDropOfAcknowledgedRecords_IsNoLoss()
    {
        var options = new OutboxOptions { MaxRecords = 2 };
        using var outbox = Open(options);
        for (int i = 0; i < 2; i++) outbox.Append(Record("a"));
        outbox.Delete([.. outbox.ReadOldest(10).Select(e => e.Id)]); // they reached the broker
        for (int i = 0; i < 4; i++) outbox.Append(Record("a"));

        // Seqs 1 and 2 had reached the broker before they went; only 3 and 4, dropped unsent, are gaps.
        Assert.Equal([new LossRange("a", 3, 4, "retention")], outbox.Losses);
        Assert.Equal(2, outbox.Stats().DroppedByRetention);
    }

    [Fact]
    public void RecordsLostFromMemory_AreUnstoredRanges_AndThoseHeldAtAStopJoinThemAtTheNextStart()
    {
        var options = new OutboxOptions { MinFreeBytes = long.MaxValue, MaxPendingInMemory = 2 };
        using (var outbox = Open(options))
        {
            for (int i = 0; i < 5; i++) outbox.Append(Record("a")); // 1..3 overflow
            outbox.Append(Record("b")); // 4 too; a5 and b1 are held when it stops
            Assert.Equal([new LossRange("a", 1, 4, "unstored")], outbox.Losses);
        }
        using var reopened = Open();
        Assert.Equal([new LossRange("a", 1, 5, "unstored"), new LossRange("b", 1, 1, "unstored")], reopened.Losses);
    }

    [Fact]
    public void Losses_OutliveAQuarantinedDatabase()
    {
        using (var outbox = Open(new OutboxOptions { MaxRecords = 1 }))
            for (int i = 0; i < 3; i++) outbox.Append(Record("a"));
        File.WriteAllBytes(_files.DbPath, new byte[16_384]); // damaged: moved aside at the next start
        foreach (var log in Directory.GetFiles(_files.Dir, "*-log.db")) File.Delete(log);

        using var fresh = Open();
        Assert.NotNull(fresh.Quarantined);
        Assert.Equal([new LossRange("a", 1, 2, "retention")], fresh.Losses);
    }

    [Fact]
    public void ManyLosses_NeverMakeTheLedgerFileGrow()
    {
        // Losses happen when the disk is full: the ledger must take every camera's full set without new blocks.
        string[] cameras = [.. Enumerable.Range(1, 16).Select(i => $"cam-{i:D2}")];
        using (var outbox = Open()) outbox.AppendRange(cameras.Select(Record));
        long size = new FileInfo(_files.DbPath + ".seq").Length;

        var options = new OutboxOptions { MaxPendingInMemory = 1 };
        using var full = Open(options);
        for (int i = 0; i <= LossRanges.MaxPerCamera; i++)
        {
            options.MinFreeBytes = long.MaxValue;
            full.AppendRange(cameras.Select(Record)); // all but the last lost to the one-record memory limit
            options.MinFreeBytes = 0;
            full.AppendRange(cameras.Select(Record)); // stored: the next losses are ranges of their own
        }

        Assert.Equal(LossRanges.MaxPerCamera * (cameras.Length - 1), full.Losses.Count);
        Assert.Equal(size, new FileInfo(_files.DbPath + ".seq").Length);
    }

    [Fact]
    public void NoLoss_NoRanges()
    {
        using var outbox = Open();
        outbox.Append(Record("a"));
        Assert.Empty(outbox.Losses);
    }

    public void Dispose() => _files.Dispose();
}

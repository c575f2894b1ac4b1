using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

/// <summary>Acknowledged records kept for <c>outbox.archiveHours</c>, so that they can be sent again, and the first to go when space is short.</summary>
public sealed class OutboxArchiveTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    private CountOutbox Open(OutboxOptions? options = null) =>
        CountOutbox.Open(_files.DbPath, options ?? new OutboxOptions(), _files.Time, NullLogger.Instance, new FixedHostClock());

    private static CountRecord Record(string camera, int processed = 1) => new() { DeviceId = "dev", CameraId = camera, FramesProcessed = processed };

    private static void Publish(CountOutbox outbox) => outbox.Delete([.. outbox.ReadOldest(1000).Select(e => e.Id)]);

    private static long FreeBytes(string path) => WorkerPool.Diagnostics.SystemMetrics.DiskFree(path)!.Value;

    [Fact]
    public void AcknowledgedRecords_AreKeptExactlyAsPublished_AndAreNoBacklog()
    {
        using var outbox = Open();
        var sent = new[] { outbox.Append(Record("a", 10))!, outbox.Append(Record("b", 20))!, outbox.Append(Record("a", 30))! };
        Publish(outbox);

        var stats = outbox.Stats();
        Assert.Equal((0L, 0L, 0.0), (stats.Backlog, stats.Bytes, stats.OldestAgeSeconds!.Value));
        var kept = outbox.FindDelivered("a", 1, 2);
        Assert.Equal([(sent[0].Id, "a", 1L, sent[0].MessageId, sent[0].Payload), (sent[2].Id, "a", 2L, sent[2].MessageId, sent[2].Payload)],
            kept.Delivered.Select(e => (e.Id, e.CameraId, e.Seq, e.MessageId, e.Payload)));
        Assert.Empty(kept.Missing);
        Assert.Empty(outbox.Losses);
    }

    [Fact]
    public void Archive_SurvivesARestart()
    {
        using (var outbox = Open())
        {
            for (int i = 0; i < 3; i++) outbox.Append(Record("a"));
            Publish(outbox);
        }
        using var reopened = Open();
        Assert.Equal([1L, 2, 3], reopened.FindDelivered("a", 1, 3).Delivered.Select(e => e.Seq));
        Assert.Equal(0, reopened.Stats().Backlog);
    }

    [Fact]
    public void Archive_PrunedOnceOlderThanArchiveHours()
    {
        using var outbox = Open(new OutboxOptions { ArchiveHours = 2 });
        outbox.Append(Record("a"));
        Publish(outbox);
        _files.Time.Advance(TimeSpan.FromHours(1.5));
        outbox.Append(Record("a"));
        Publish(outbox);
        _files.Time.Advance(TimeSpan.FromHours(1)); // the first was acknowledged 2.5 h ago, the second 1 h ago

        outbox.EnforceLimits();

        var range = outbox.FindDelivered("a", 1, 2);
        Assert.Equal([2L], range.Delivered.Select(e => e.Seq));
        Assert.Equal([(1L, 1L)], range.Missing);
        Assert.Empty(outbox.Losses); // it had reached the broker: no loss
        Assert.Equal(0, outbox.Stats().DroppedByRetention);
    }

    [Fact]
    public void AgeCountsFromTheAcknowledgement_NotFromStorage()
    {
        using var outbox = Open(new OutboxOptions { ArchiveHours = 2 });
        outbox.Append(Record("a"));
        _files.Time.Advance(TimeSpan.FromHours(5)); // an outage: stored long before the broker had it
        Publish(outbox);
        _files.Time.Advance(TimeSpan.FromHours(1));

        outbox.EnforceLimits();

        Assert.Single(outbox.FindDelivered("a", 1, 1).Delivered);
    }

    [Fact]
    public void ArchiveHoursZero_KeepsNothing_AndEmptiesAnArchiveKeptBefore()
    {
        using (var outbox = Open())
        {
            outbox.Append(Record("a"));
            Publish(outbox);
        }
        using var off = Open(new OutboxOptions { ArchiveHours = 0 });
        off.Append(Record("a"));
        Publish(off);
        off.EnforceLimits();

        Assert.Equal([(1L, 2L)], off.FindDelivered("a", 1, 2).Missing);
    }

    [Fact]
    public void OverMaxRecords_ArchivedRecordsGoFirst_AndNeverMakeUnsentOnesGo()
    {
        using var outbox = Open(new OutboxOptions { MaxRecords = 5 });
        for (int i = 0; i < 4; i++) outbox.Append(Record("a"));
        Publish(outbox);
        for (int i = 0; i < 5; i++) outbox.Append(Record("a")); // the limit in unsent records alone

        var stats = outbox.Stats();
        Assert.Equal((5L, 0L), (stats.Backlog, stats.DroppedByRetention));
        Assert.Empty(outbox.Losses);
        Assert.Equal([(1L, 4L)], outbox.FindDelivered("a", 1, 4).Missing);
    }

    [Fact]
    public void OverMaxRecords_ArchiveKeepsTheNewestThatFitBesideTheUnsent()
    {
        using var outbox = Open(new OutboxOptions { MaxRecords = 5 });
        for (int i = 0; i < 4; i++) outbox.Append(Record("a"));
        Publish(outbox);
        for (int i = 0; i < 2; i++) outbox.Append(Record("a"));

        var range = outbox.FindDelivered("a", 1, 6);
        Assert.Equal([2L, 3, 4], range.Delivered.Select(e => e.Seq));
        Assert.Equal([(1L, 1L)], range.Missing); // 5 and 6 are waiting: not missing, not resent
    }

    [Fact]
    public void OverMaxBytes_ArchivedRecordsGoFirst()
    {
        int size;
        using (var other = new OutboxTestFiles())
        using (var probe = CountOutbox.Open(other.DbPath, new OutboxOptions(), other.Time, NullLogger.Instance, new FixedHostClock()))
            size = System.Text.Encoding.UTF8.GetByteCount(probe.Append(Record("z"))!.Payload);

        using var outbox = Open(new OutboxOptions { MaxBytes = size * 3 + size / 2 });
        for (int i = 0; i < 3; i++) outbox.Append(Record("z"));
        Publish(outbox);
        for (int i = 0; i < 3; i++) outbox.Append(Record("z"));

        Assert.Equal((3L, 0L), (outbox.Stats().Backlog, outbox.Stats().DroppedByRetention));
        Assert.Empty(outbox.FindDelivered("z", 1, 3).Delivered);
    }

    [Fact]
    public void WhileSpaceIsShort_AcknowledgedRecordsAreNotKept_AndTheArchiveIsEmptied()
    {
        var options = new OutboxOptions();
        using var outbox = Open(options);
        outbox.Append(Record("a"));
        Publish(outbox);
        Assert.Single(outbox.FindDelivered("a", 1, 1).Delivered);

        // Free space above the margin (writes go on) but below twice it.
        options.MinFreeBytes = (long)(FreeBytes(_files.DbPath) * 0.7);
        outbox.Append(Record("a"));
        Publish(outbox);

        Assert.Equal([(1L, 2L)], outbox.FindDelivered("a", 1, 2).Missing);
        Assert.Equal((0L, 0L), (outbox.Stats().Backlog, outbox.Stats().DroppedByRetention));
        Assert.Null(outbox.Stats().LastError);
    }

    [Fact]
    public void FindDelivered_SeesEachCameraApart_EvenIdsThatDifferOnlyInCaseOrPunctuation()
    {
        using var outbox = Open();
        string[] cameras = ["cam-a", "Cam-a", "cam_a", "cam-a1", "cam"];
        for (int i = 0; i < 3; i++)
            foreach (var camera in cameras) outbox.Append(Record(camera, i));
        Publish(outbox);

        foreach (var camera in cameras)
        {
            var range = outbox.FindDelivered(camera, 2, 3);
            Assert.Equal([(camera, 2L), (camera, 3L)], range.Delivered.Select(e => (e.CameraId, e.Seq)));
        }
        Assert.Equal([(1L, 3L)], outbox.FindDelivered("CAM-A", 1, 3).Missing);
    }

    [Fact]
    public void FindDelivered_RecordsWaitingInMemoryOrInTheQueueAreNeitherResentNorMissing()
    {
        var options = new OutboxOptions();
        using var outbox = Open(options);
        outbox.Append(Record("a"));
        Publish(outbox); // seq 1: archived
        outbox.Append(Record("a")); // seq 2: stored, waiting
        options.MinFreeBytes = long.MaxValue;
        outbox.Append(Record("a")); // seq 3: held in memory

        var range = outbox.FindDelivered("a", 1, 5);

        Assert.Equal([1L], range.Delivered.Select(e => e.Seq));
        Assert.Equal([(4L, 5L)], range.Missing); // never given out
    }

    [Fact]
    public void FindDelivered_AnAcknowledgedRecordNotDeletedYet_IsSentAgain()
    {
        var options = new OutboxOptions();
        using var outbox = Open(options);
        outbox.Append(Record("a"));
        options.MinFreeBytes = long.MaxValue; // no room to delete: it stays in the queue, acknowledged
        outbox.Delete([outbox.ReadOldest(1).Single().Id]);

        var range = outbox.FindDelivered("a", 1, 1);

        Assert.Equal([1L], range.Delivered.Select(e => e.Seq));
        Assert.Empty(range.Missing);
    }

    [Fact]
    public void FileWrittenBeforeTheArchive_OpensAndArchivesFromThenOn()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Outbox", "Fixtures");
        File.Copy(Path.Combine(fixtures, "outbox-0.1.db"), _files.DbPath);
        File.Copy(Path.Combine(fixtures, "outbox-0.1.db.seq"), _files.DbPath + ".seq");
        using var outbox = CountOutbox.Open(_files.DbPath, new OutboxOptions { MaxRecords = 4 }, _files.Time, NullLogger.Instance, new FixedHostClock(bootId: "fixture-boot"));

        var before = outbox.FindDelivered("a", 3, 5);
        Assert.Empty(before.Delivered); // 4 and 5 are waiting
        Assert.Equal([(3L, 3L)], before.Missing); // published and deleted before there was an archive
        Publish(outbox);

        Assert.Equal([4L, 5], outbox.FindDelivered("a", 3, 5).Delivered.Select(e => e.Seq));
        Assert.Equal([(3L, 3L)], outbox.FindDelivered("a", 3, 5).Missing);
        Assert.Equal(0, outbox.Stats().Backlog);
    }

    public void Dispose() => _files.Dispose();
}

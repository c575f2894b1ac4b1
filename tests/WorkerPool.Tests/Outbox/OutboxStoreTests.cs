using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class OutboxStoreTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    private RecordClock Clock => new(new FixedHostClock(), _files.Time);

    private OutboxStore Open() => OutboxStore.OpenOrQuarantine(_files.DbPath, _files.Time, NullLogger.Instance, out _);

    [Fact]
    public void Insert_ThenReopen_KeepsRecordsBytesAndEachCamerasLastSeq()
    {
        long bytes;
        using (var store = Open())
        {
            var batch = store.Insert([OutboxTestFiles.Record("a", 1), OutboxTestFiles.Record("b", 1), OutboxTestFiles.Record("a", 2)], Clock);
            store.Flush();
            Assert.Equal((3, "a", 2L), (batch.Count, batch.Last.CameraId, batch.Last.Seq));
            Assert.Equal(new Dictionary<string, long> { ["a"] = 2, ["b"] = 1 }, batch.LastSeqs);
            bytes = store.Bytes;
            Assert.True(bytes > 0);
        }

        using var reopened = Open();
        Assert.Equal((3L, bytes), (reopened.Count, reopened.Bytes));
        Assert.Equal(new Dictionary<string, long> { ["a"] = 2, ["b"] = 1 }, reopened.StoredSequences);
        Assert.Equal([("a", 1L), ("b", 1L), ("a", 2L)], reopened.ReadOldest(10).Select(e => (e.CameraId, e.Seq)));
    }

    [Fact]
    public void Acknowledge_LeavesTheRecordsOutOfTheBacklogAndOfReads_UntilDeleted()
    {
        using var store = Open();
        store.Insert([OutboxTestFiles.Record("a", 1), OutboxTestFiles.Record("a", 2), OutboxTestFiles.Record("a", 3)], Clock);
        long bytes = store.Bytes;
        var first = store.ReadOldest(1).Single();

        store.Acknowledge([first.Id]);

        Assert.Equal((3L, 2L, true), (store.Count, store.Backlog, store.HasAcknowledged));
        Assert.Equal([2L, 3], store.ReadOldest(10).Select(e => e.Seq));
        store.DeleteAcknowledged(archive: false, Clock);
        Assert.Equal((2L, 2L, false), (store.Count, store.Backlog, store.HasAcknowledged));
        Assert.True(store.Bytes < bytes);
    }

    [Fact]
    public void DropOldest_StoresRetentionsCountWithTheDeletes_AndCountsAcknowledgedRecordsAsNoLoss()
    {
        using (var store = Open())
        {
            store.Insert([OutboxTestFiles.Record("a", 1), OutboxTestFiles.Record("a", 2), OutboxTestFiles.Record("a", 3)], Clock);
            store.Acknowledge([store.ReadOldest(1).Single().Id]);

            var batch = store.DropOldest(doc => doc["seq"].AsInt64 <= 2, droppedBefore: 10);

            Assert.Equal((1, false), (batch.Lost, batch.More)); // seq 1 had reached the broker: only seq 2 is a gap
            Assert.Equal((1L, 1L, false), (store.Count, store.Backlog, store.HasAcknowledged));
        }
        using var reopened = Open();
        Assert.Equal(11, reopened.DroppedAtOpen);
        Assert.Equal([3L], reopened.ReadOldest(10).Select(e => e.Seq));
    }

    [Fact]
    public void DropOldest_ConditionSeesTheCountFallWithEachRecord()
    {
        using var store = Open();
        store.Insert([.. Enumerable.Range(1, 5).Select(i => OutboxTestFiles.Record("a", i))], Clock);

        var batch = store.DropOldest(_ => store.Count > 2, droppedBefore: 0);

        Assert.Equal((3, false), (batch.Lost, batch.More));
        Assert.Equal([4L, 5], store.ReadOldest(10).Select(e => e.Seq));
    }

    [Fact]
    public void DropOldest_AWholeBatchTaken_SaysThereMayBeMore()
    {
        using var store = Open();
        store.Insert([.. Enumerable.Range(1, 300).Select(i => OutboxTestFiles.Record("a", i))], Clock);

        var first = store.DropOldest(_ => true, droppedBefore: 0);
        var second = store.DropOldest(_ => true, droppedBefore: first.Lost);

        Assert.Equal((256, true), (first.Lost, first.More));
        Assert.Equal((44, false), (second.Lost, second.More));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void OpenOrQuarantine_DamagedFile_MovesItAsideAndOpensAnEmptyStore()
    {
        File.WriteAllBytes(_files.DbPath, new byte[16_384]);

        using var store = OutboxStore.OpenOrQuarantine(_files.DbPath, _files.Time, NullLogger.Instance, out string? aside);

        Assert.Equal(_files.DbPath + ".corrupt-20261122T120000Z", aside);
        Assert.True(File.Exists(aside));
        Assert.Equal((0L, 0L), (store.Count, store.Bytes));
        Assert.Empty(store.StoredSequences);
    }

    [Fact]
    public void OpenOrQuarantine_HealthyFile_IsNotMoved()
    {
        using (var store = Open()) store.Insert([OutboxTestFiles.Record("a", 1)], Clock);

        using var reopened = OutboxStore.OpenOrQuarantine(_files.DbPath, _files.Time, NullLogger.Instance, out string? aside);

        Assert.Null(aside);
        Assert.Equal(1, reopened.Count);
        Assert.Empty(Directory.GetFiles(_files.Dir, "*.corrupt-*"));
    }

    [Fact]
    public void Failed_ByARealStorageError_MarksTheStoreForReopen_ButNotByARefusalForRoom()
    {
        using var store = Open();
        store.Insert([OutboxTestFiles.Record("a", 1)], Clock);

        store.Failed(new DiskAlmostFullException("full"));
        Assert.False(store.Broken);
        store.Failed(new IOException("EIO"));
        Assert.True(store.Broken);

        store.EnsureOpen();
        Assert.Equal((false, 1L), (store.Broken, store.Count));
        Assert.Single(store.ReadOldest(10));
    }

    [Fact]
    public void DeleteAcknowledged_WithArchive_MovesThemOutOfTheQueue_AndTheArchiveCountsApart()
    {
        long bytes;
        using (var store = Open())
        {
            store.Insert([OutboxTestFiles.Record("a", 1), OutboxTestFiles.Record("a", 2), OutboxTestFiles.Record("b", 1)], Clock);
            bytes = store.Bytes;
            store.Acknowledge(store.ReadOldest(2).Select(e => e.Id));

            store.DeleteAcknowledged(archive: true, Clock);

            Assert.Equal((1L, 1L), (store.Count, store.Backlog));
            Assert.Equal(2L, store.Archive.Count);
            Assert.Equal(bytes, store.Bytes + store.Archive.Bytes);
        }
        using var reopened = Open();
        Assert.Equal((1L, 2L), (reopened.Count, reopened.Archive.Count));
        Assert.Equal(bytes, reopened.Bytes + reopened.Archive.Bytes);
        Assert.Equal([1L, 2], reopened.Archive.Range("a", 1, 9).Select(e => e.Seq));
        Assert.Empty(reopened.Archive.Range("b", 1, 9));
    }

    [Fact]
    public void ArchiveDropOldestWhile_GoesInArchiveOrderAcrossBatches_AndStopsAtTheFirstToKeep()
    {
        using var store = Open();
        store.Insert([.. Enumerable.Range(1, 300).Select(i => OutboxTestFiles.Record("a", i))], Clock);
        store.Acknowledge(store.ReadOldest(300).Select(e => e.Id));
        store.DeleteAcknowledged(archive: true, Clock);

        long dropped = store.Archive.DropOldestWhile(_ => store.Archive.Count > 10);

        Assert.Equal((290L, 10L), (dropped, store.Archive.Count));
        Assert.Equal(291, store.Archive.Range("a", 1, 300)[0].Seq);
    }

    [Fact]
    public void FindQueued_SplitsAcknowledgedRecordsFromWaitingOnes_ForOneCameraOnly()
    {
        using var store = Open();
        store.Insert([OutboxTestFiles.Record("a", 1), OutboxTestFiles.Record("A", 1), OutboxTestFiles.Record("a", 2), OutboxTestFiles.Record("a", 3)], Clock);
        store.Acknowledge([store.ReadOldest(1).Single().Id]);

        var (acknowledged, waiting) = store.FindQueued("a", 1, 2);

        Assert.Equal([("a", 1L)], acknowledged.Select(e => (e.CameraId, e.Seq)));
        Assert.Equal([2L], waiting);
    }

    [Fact]
    public void ArchiveKey_OneLengthPerCamera_SortsBySeq_AndNeverTheSameForTwoIds()
    {
        Assert.Equal(OutboxArchive.Key("cam", 1).Length, OutboxArchive.Key("cam", long.MaxValue).Length);
        Assert.True(string.CompareOrdinal(OutboxArchive.Key("cam", 9), OutboxArchive.Key("cam", 10)) < 0);
        string[] ids = ["cam", "CAM", "ca-m", "ca_m", "cam1"];
        Assert.Equal(ids.Length, ids.Select(id => OutboxArchive.Key(id, 1)).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Matches("^[0-9A-F]+$", OutboxArchive.Key("Cam_-1", 42));
    }

    public void Dispose() => _files.Dispose();
}

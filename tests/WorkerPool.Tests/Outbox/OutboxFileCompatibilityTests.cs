using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

/// <summary>
/// Devices keep their outbox across updates. <c>Fixtures/outbox-0.1.db</c> (and its <c>.seq</c> ledger) was written by
/// the outbox as it was before it was split into parts, 2026-11-22 12:00 UTC, boot id <c>fixture-boot</c>: five
/// records of camera a and one of b with <c>maxRecords</c> 4 (a1 and a2 dropped by retention), a3 published and
/// deleted, and a6 held in memory when it stopped (the disk was "full"). The figures below are what the old code
/// read back from a copy of it.
/// </summary>
public sealed class OutboxFileCompatibilityTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    public OutboxFileCompatibilityTests()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Outbox", "Fixtures");
        File.Copy(Path.Combine(fixtures, "outbox-0.1.db"), _files.DbPath);
        File.Copy(Path.Combine(fixtures, "outbox-0.1.db.seq"), _files.DbPath + ".seq");
    }

    private CountOutbox Open() => CountOutbox.Open(_files.DbPath, new OutboxOptions { MaxRecords = 4 },
        new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 50, TimeSpan.Zero)), NullLogger.Instance, new FixedHostClock(bootId: "fixture-boot"));

    [Fact]
    public void Open_FileWrittenBeforeTheSplit_ReadsTheSameRecordsAndFigures()
    {
        using var outbox = Open();

        Assert.Equal(new OutboxStats(3, 20, 881, DroppedByRetention: 2, PendingInMemory: 0, LostUnstored: 1, LastError: null, Quarantined: null), outbox.Stats());
        var entries = outbox.ReadOldest(10);
        Assert.Equal(
        [
            (4L, "a", 4L, "55ca464e-3983-4d49-a6ff-b3a93b414b37", new DateTime(2026, 11, 22, 12, 0, 30, DateTimeKind.Utc)),
            (5L, "a", 5L, "6f5425cb-d027-43d7-845c-68c606fa427c", new DateTime(2026, 11, 22, 12, 0, 40, DateTimeKind.Utc)),
            (6L, "b", 1L, "7c316251-68a9-4d76-bed9-342217dbf9f6", new DateTime(2026, 11, 22, 12, 0, 50, DateTimeKind.Utc)),
        ], entries.Select(e => (e.Id, e.CameraId, e.Seq, e.MessageId, e.CreatedAt)));
        Assert.Equal("""{"messageId":"55ca464e-3983-4d49-a6ff-b3a93b414b37","seq":4,"deviceId":"dev","cameraId":"a","windowStart":"1970-01-01T00:00:00+00:00","windowEnd":"1970-01-01T00:01:00+00:00","framesProcessed":4,"framesDropped":0,"framesFailed":0,"lines":{"door":{"in":3,"out":2}},"zones":{},"clockSynced":true}""",
            entries[0].Payload);
        // Its ledger predates loss ranges: only a6, found unstored at this start, is known by number.
        Assert.Equal([new LossRange("a", 6, 6, "unstored")], outbox.Losses);
    }

    [Fact]
    public void Append_ToAFileWrittenBeforeTheSplit_ContinuesEachCamerasSequenceAndItsCounters()
    {
        using var outbox = Open();

        var a = outbox.Append(Record("a", 7))!;
        var b = outbox.Append(Record("b", 101))!;

        Assert.Equal((7L, 2L), (a.Seq, b.Seq)); // a6 was lost in memory: its number stays a gap
        Assert.Equal(new OutboxStats(4, 10, 1244, DroppedByRetention: 3, PendingInMemory: 0, LostUnstored: 1, LastError: null, Quarantined: null), outbox.Stats());
    }

    private static CountRecord Record(string camera, int processed) => new()
    {
        DeviceId = "dev", CameraId = camera, FramesProcessed = processed,
        WindowStart = DateTimeOffset.UnixEpoch, WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(1),
        Lines = { ["door"] = new LineCount(3, 2) },
    };

    public void Dispose() => _files.Dispose();
}

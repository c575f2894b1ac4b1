
using LiteDB;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Outbox;
using WorkerPool.Testing;

namespace WorkerPool.Tests.Outbox;

/// <summary>The open window's checkpoint in the outbox: closed as partial after a crash, never counted twice.</summary>
public sealed class OutboxCheckpointTests : IDisposable
{
    private static readonly DateTimeOffset W0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "outbox-cp-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly FakeTimeProvider _time = new(W0.AddSeconds(30));
    private readonly ListLogger _log = new();

    private string DbPath => Path.Combine(_dir, "outbox.db");

    // Dispose without closing the window is what a crash leaves: the checkpoint stays stored.
    private CountOutbox Open(FixedHostClock? clock = null) => CountOutbox.Open(DbPath, new OutboxOptions(), _time, _log, clock ?? new FixedHostClock());

    private static CountRecord Window(string camera, long @in, long @out, long frames, DateTimeOffset? start = null) => new()
    {
        DeviceId = "dev", CameraId = camera, FramesProcessed = frames,
        WindowStart = start ?? W0, WindowEnd = (start ?? W0).AddMinutes(1),
        Lines = { ["door"] = new LineCount(@in, @out) },
        Zones = { ["hall"] = new ZoneOccupancy(1.5, 1, 2) },
    };

    private static List<CountRecord> Stored(CountOutbox outbox) =>
        outbox.ReadOldest(100).Select(e => System.Text.Json.JsonSerializer.Deserialize(e.Payload, ContractJsonContext.Default.CountRecord)!).ToList();

    [Fact]
    public void Reopen_AfterACrashMidWindow_StoresTheCheckpointAsAPartialRecordOnce()
    {
        using (var outbox = Open())
        {
            outbox.Append(Window("cam", 1, 0, 10, W0.AddMinutes(-1)));
            outbox.Checkpoint([Window("cam", 2, 1, 40)]);
            outbox.Checkpoint([Window("cam", 4, 3, 80)]); // the later one replaces it
        }

        using (var outbox = Open())
        {
            var records = Stored(outbox);
            Assert.Equal(2, records.Count);
            var partial = records[1];
            Assert.True(partial.Partial);
            Assert.False(records[0].Partial);
            Assert.Equal(2, partial.Seq); // the camera's next number: no gap, no reuse
            Assert.Equal((W0, W0.AddMinutes(1)), (partial.WindowStart, partial.WindowEnd));
            Assert.Equal(new LineCount(4, 3), partial.Lines["door"]);
            Assert.Equal(new ZoneOccupancy(1.5, 1, 2), partial.Zones["hall"]);
            Assert.Equal(80, partial.FramesProcessed);
            Assert.False(string.IsNullOrEmpty(partial.MessageId));
            Assert.Contains(_log.Lines, l => l.Message.Contains("closed from its checkpoint as partial, 7 crossing(s)", StringComparison.Ordinal));
        }

        using (var outbox = Open()) Assert.Equal(2, Stored(outbox).Count); // recovered once, not at every start
    }

    [Fact]
    public void Reopen_WindowClosedAfterItsCheckpoint_StoresNoPartialRecord()
    {
        using (var outbox = Open())
        {
            outbox.Checkpoint([Window("cam", 2, 1, 40), Window("other", 5, 0, 40)]);
            outbox.Append(Window("cam", 3, 1, 60)); // the window closed: its checkpoint goes with this insert
        }

        using var reopened = Open();
        var records = Stored(reopened);
        Assert.Equal(2, records.Count);
        Assert.Equal(new LineCount(3, 1), records[0].Lines["door"]);
        Assert.False(records[0].Partial);
        // The other camera's window was still open at the "crash".
        Assert.Equal(("other", true), (records[1].CameraId, records[1].Partial));
    }

    [Fact]
    public void Reopen_SplitWindowCheckpointedAfterItsFirstPartWasStored_RecoversTheSecondPart()
    {
        using (var outbox = Open())
        {
            outbox.Checkpoint([Window("cam", 1, 0, 10)]);
            outbox.Append(Window("cam", 2, 0, 20)); // a reconfiguration closed the first part of W0
            outbox.Checkpoint([Window("cam", 0, 1, 5)]); // the second part of the same window
        }

        using var reopened = Open();
        var records = Stored(reopened);
        Assert.Equal([false, true], records.Select(r => r.Partial));
        Assert.Equal(new LineCount(0, 1), records[1].Lines["door"]);
    }

    [Fact]
    public void Reopen_CameraIdsDifferingOnlyInCase_KeepTheirOwnCheckpoints()
    {
        using (var outbox = Open()) outbox.Checkpoint([Window("Door", 1, 0, 10), Window("door", 0, 2, 10)]);

        using var reopened = Open();
        var records = Stored(reopened).OrderBy(r => r.CameraId, StringComparer.Ordinal).ToList();
        Assert.Equal(["Door", "door"], records.Select(r => r.CameraId));
        Assert.Equal(new LineCount(0, 2), records[1].Lines["door"]);
    }

    [Fact]
    public void Reopen_UnreadableCheckpoint_IsLoggedAndDiscardedWithoutStoppingTheOthers()
    {
        using (var outbox = Open()) outbox.Checkpoint([Window("cam", 1, 0, 10)]);
        using (var db = new LiteDatabase(new ConnectionString { Filename = DbPath, Connection = ConnectionType.Direct }))
            db.GetCollection("checkpoint").Upsert(new BsonDocument { ["_id"] = "bad", ["p"] = "{not json" });

        using (var outbox = Open())
        {
            var record = Assert.Single(Stored(outbox));
            Assert.True(record.Partial);
            Assert.Contains(_log.Lines, l => l.Message.Contains("checkpoint (bad) could not be read", StringComparison.Ordinal));
        }
        using (var outbox = Open()) Assert.Single(Stored(outbox));
    }

    [Fact]
    public void Checkpoint_WhileRecordsWaitInMemory_IsNotKeptSoTheirInsertCannotDeleteIt()
    {
        using (var outbox = Open())
        {
            outbox.BeforeWrite = () => throw new IOException("No space left on device");
            Assert.Null(outbox.Append(Window("cam", 1, 0, 10, W0.AddMinutes(-1))));
            outbox.Checkpoint([Window("cam", 2, 0, 20)]);
            Assert.NotNull(outbox.Stats().LastError);
            outbox.BeforeWrite = null;
            outbox.Checkpoint([Window("cam", 3, 0, 30)]); // storage works again: the held record first, then this
        }

        using var reopened = Open();
        var records = Stored(reopened);
        Assert.Equal([false, true], records.Select(r => r.Partial));
        Assert.Equal(new LineCount(3, 0), records[1].Lines["door"]);
    }

    [Fact]
    public void Checkpoint_ThatStorageRefused_IsKeptByTheRetryOnceStorageWorks_WithoutWaitingForAnotherChange()
    {
        using (var outbox = Open())
        {
            outbox.BeforeWrite = () => throw new IOException("Input/output error");
            outbox.Checkpoint([Window("cam", 2, 0, 20)]);
            Assert.NotNull(outbox.Stats().LastError);
            outbox.BeforeWrite = null;
            _time.Advance(TimeSpan.FromSeconds(5)); // the outbox's retry
        }

        using var reopened = Open();
        var record = Assert.Single(Stored(reopened));
        Assert.Equal((true, new LineCount(2, 0)), (record.Partial, record.Lines["door"]));
    }

    [Fact]
    public void Reopen_WindowCheckpointedBeforeTheClockWasSynchronised_IsMarkedSoEvenIfItIsNowSynchronised()
    {
        var clock = new FixedHostClock(synchronized: false);
        using (var outbox = Open(clock)) outbox.Checkpoint([Window("cam", 1, 0, 10)]);
        clock.Synchronized = true;

        using var reopened = Open(clock);
        var record = Assert.Single(Stored(reopened));
        Assert.Equal((true, false), (record.Partial, record.ClockSynced));
    }

    [Fact]
    public void Reopen_CheckpointWithoutItsPayload_IsDiscardedNotTakenForADamagedFile()
    {
        using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(Directory.CreateDirectory(_dir).FullName, "outbox.db"), Connection = ConnectionType.Direct }))
            db.GetCollection("checkpoint").Upsert(new BsonDocument { ["_id"] = "odd", ["ws"] = DateTime.UtcNow });

        using var outbox = Open();
        Assert.Null(outbox.Quarantined);
        Assert.Empty(Stored(outbox));
        Assert.Contains(_log.Lines, l => l.Message.Contains("checkpoint (odd) could not be read", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}

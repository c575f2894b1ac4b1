using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class CountOutboxTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "outbox-test-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private string DbPath => Path.Combine(_dir, "outbox.db");

    private CountOutbox Open(OutboxOptions? options = null) => CountOutbox.Open(DbPath, options ?? new OutboxOptions(), _time, NullLogger.Instance);

    private static CountRecord Record(string camera, int processed = 1) => new()
    {
        DeviceId = "dev", CameraId = camera, FramesProcessed = processed,
        WindowStart = DateTimeOffset.UnixEpoch, WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(1),
        Lines = { ["door"] = new LineCount(3, 2) },
    };

    [Fact]
    public void Append_GivesEachCameraItsOwnGaplessSequenceAndAUniqueMessageId()
    {
        using var outbox = Open();
        var a1 = outbox.Append(Record("a"))!;
        var b1 = outbox.Append(Record("b"))!;
        var a2 = outbox.Append(Record("a"))!;

        Assert.Equal((1L, 1L, 2L), (a1.Seq, b1.Seq, a2.Seq));
        Assert.Equal(3, new[] { a1.MessageId, b1.MessageId, a2.MessageId }.Distinct().Count());
        using var payload = JsonDocument.Parse(a2.Payload);
        Assert.Equal(2, payload.RootElement.GetProperty("seq").GetInt64());
        Assert.Equal(a2.MessageId, payload.RootElement.GetProperty("messageId").GetString());
        Assert.Equal(3, payload.RootElement.GetProperty("lines").GetProperty("door").GetProperty("in").GetInt64());
    }

    [Fact]
    public void ReadOldest_ThenDelete_DrainsInInsertionOrder()
    {
        using var outbox = Open();
        for (int i = 0; i < 5; i++) outbox.Append(Record(i % 2 == 0 ? "a" : "b", i));
        var first = outbox.ReadOldest(3);
        Assert.Equal([0L, 1, 2], first.Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("framesProcessed").GetInt64()));
        outbox.Delete(first.Select(e => e.Id).ToArray());
        Assert.Equal(2, outbox.Stats().Backlog);
        Assert.Equal([3L, 4], outbox.ReadOldest(10).Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("framesProcessed").GetInt64()));
    }

    [Fact]
    public void Reopen_AfterRestart_KeepsBacklogAndContinuesSequences()
    {
        using (var outbox = Open())
        {
            outbox.Append(Record("a"));
            outbox.Append(Record("a"));
            outbox.Delete(outbox.ReadOldest(10).Select(e => e.Id).ToArray());
            outbox.Append(Record("a"));
        }
        using var reopened = Open();
        Assert.Equal(1, reopened.Stats().Backlog);
        Assert.Equal(4, reopened.Append(Record("a"))!.Seq);
    }

    [Fact]
    public void Retention_MaxRecords_DropsOldestAndCountsThem()
    {
        using var outbox = Open(new OutboxOptions { MaxRecords = 3 });
        for (int i = 0; i < 5; i++) outbox.Append(Record("a", i));
        var stats = outbox.Stats();
        Assert.Equal((3L, 2L), (stats.Backlog, stats.DroppedByRetention));
        Assert.Equal([3L, 4, 5], outbox.ReadOldest(10).Select(e => e.Seq));
    }

    [Fact]
    public void Retention_MaxAge_DropsRecordsOlderThanTheLimit()
    {
        using var outbox = Open(new OutboxOptions { MaxAgeHours = 1 });
        outbox.Append(Record("a"));
        _time.Advance(TimeSpan.FromMinutes(90));
        outbox.Append(Record("a"));
        Assert.Equal([2L], outbox.ReadOldest(10).Select(e => e.Seq));
        Assert.Equal(1, outbox.Stats().DroppedByRetention);
    }

    [Fact]
    public void Retention_MaxBytes_KeepsTheNewestThatFit()
    {
        using var outbox = Open();
        int size = System.Text.Encoding.UTF8.GetByteCount(outbox.Append(Record("a"))!.Payload);
        outbox.Dispose();
        using var small = Open(new OutboxOptions { MaxBytes = size * 2 + size / 2 });
        for (int i = 0; i < 4; i++) small.Append(Record("a"));
        Assert.Equal(2, small.Stats().Backlog);
        Assert.Equal(3, small.Stats().DroppedByRetention);
    }

    [Fact]
    public void Stats_ReportsBacklogAndOldestAge()
    {
        using var outbox = Open();
        outbox.Append(Record("a"));
        _time.Advance(TimeSpan.FromSeconds(42));
        outbox.Append(Record("b"));
        var stats = outbox.Stats();
        Assert.Equal(2, stats.Backlog);
        Assert.Equal(42, stats.OldestAgeSeconds);
        Assert.True(stats.Bytes > 0);
    }

    [Fact]
    public void Open_CorruptFile_IsMovedAsideAndAFreshOutboxWorks()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(DbPath, [.. Enumerable.Range(0, 40_000).Select(i => (byte)(i * 31 % 256))]);

        using var outbox = Open();

        Assert.NotNull(outbox.Quarantined);
        Assert.StartsWith(DbPath + ".corrupt-20261122T120000Z", outbox.Quarantined, StringComparison.Ordinal);
        Assert.True(File.Exists(outbox.Quarantined));
        Assert.Equal(outbox.Quarantined, outbox.Stats().Quarantined);
        Assert.Equal(1, outbox.Append(Record("a"))!.Seq);
    }

    [Fact]
    public void Open_CorruptFileAfterRecords_ContinuesSequencesFromTheSidecar()
    {
        using (var outbox = Open())
            for (int i = 0; i < 3; i++) outbox.Append(Record("a"));
        File.WriteAllBytes(DbPath, new byte[16_384]); // zeroed: no longer a LiteDB file
        foreach (var log in Directory.GetFiles(_dir, "*-log.db")) File.Delete(log);

        using var fresh = Open();
        Assert.NotNull(fresh.Quarantined);
        Assert.Equal(4, fresh.Append(Record("a"))!.Seq); // never reuses 1..3
    }

    [Fact]
    public void Append_DiskBelowMinimumFree_HoldsRecordsInMemoryWithAClearError()
    {
        using var outbox = Open(new OutboxOptions { MinFreeBytes = long.MaxValue });
        Assert.Null(outbox.Append(Record("a")));
        Assert.Null(outbox.Append(Record("a")));
        var stats = outbox.Stats();
        Assert.Equal((0L, 2), (stats.Backlog, stats.PendingInMemory));
        Assert.Contains("disk almost full", stats.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void MemoryBufferOverflow_LostRecordsLeaveASeqGapAndADurableCounter()
    {
        var options = new OutboxOptions { MinFreeBytes = long.MaxValue, MaxPendingInMemory = 3 };
        using (var outbox = Open(options))
        {
            for (int i = 1; i <= 5; i++) Assert.Null(outbox.Append(Record("a", i)));
            Assert.Equal((3, 2L), (outbox.Stats().PendingInMemory, outbox.Stats().LostUnstored));

            options.MinFreeBytes = 0; // room again: the held records go first, in order
            Assert.NotNull(outbox.Append(Record("a", 6)));
            var stored = outbox.ReadOldest(10);
            // Records 1 and 2 were lost: their numbers are gone, so a consumer sees the gap.
            Assert.Equal([3L, 4, 5, 6], stored.Select(e => e.Seq));
            Assert.Equal([3L, 4, 5, 6], stored.Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("framesProcessed").GetInt64()));
        }
        using var reopened = Open();
        Assert.Equal(2, reopened.Stats().LostUnstored); // survives the restart
        Assert.Equal(7, reopened.Append(Record("a"))!.Seq);
    }

    [Fact]
    public void RecordsHeldInMemoryWhenTheServiceDies_AreCountedLostAtTheNextStart_AndLeaveAGap()
    {
        using (var outbox = Open(new OutboxOptions { MinFreeBytes = long.MaxValue }))
        {
            Assert.Null(outbox.Append(Record("a")));
            Assert.Null(outbox.Append(Record("a")));
            outbox.Append(Record("b"));
        } // a process killed now takes them with it (dispose here cannot store them either)

        using var reopened = Open();
        var stats = reopened.Stats();
        Assert.Equal(3, stats.LostUnstored);
        Assert.Equal(3, reopened.Append(Record("a"))!.Seq); // 1 and 2 never arrive: the gap tells
        Assert.Equal(2, reopened.Append(Record("b"))!.Seq);
    }

    [Fact]
    public void Ledger_TornWriteOfOneSlot_FallsBackToTheOtherSlot()
    {
        using (var outbox = Open())
            for (int i = 0; i < 3; i++) outbox.Append(Record("a"));
        string ledger = DbPath + ".seq";
        byte[] bytes = File.ReadAllBytes(ledger);
        // Damage the slot written last: the other holds the ledger one write earlier.
        int slot = bytes.Length / 2;
        int last = Enumerable.Range(0, 2).MaxBy(i => BitConverter.ToInt64(bytes, i * slot + 4));
        bytes[last * slot + 20] ^= 0xFF;
        File.WriteAllBytes(ledger, bytes);
        File.Delete(DbPath); // the database's marks gone too: only the ledger knows
        foreach (var log in Directory.GetFiles(_dir, "*-log.db")) File.Delete(log);

        using var reopened = Open();
        Assert.True(reopened.Append(Record("a"))!.Seq >= 3); // never reuses a number that was stored
    }

    [Fact]
    public void Ledger_OlderJsonSidecar_IsReadAndContinued()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(DbPath + ".seq", """{"a":41}""");
        using var outbox = Open();
        Assert.Equal(42, outbox.Append(Record("a"))!.Seq);
    }

    [Fact]
    public void Retention_ClockStepsForwardAfterSync_KeepsTheBacklogStoredBeforeIt()
    {
        // A board without an RTC boots in 2020 and stores records; NTP then steps the clock six years forward.
        var clock = new FakeHostClock { Synchronized = false };
        var time = new SteppableTime(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var outbox = CountOutbox.Open(DbPath, new OutboxOptions { MaxAgeHours = 720 }, time, NullLogger.Instance, clock);
        outbox.Append(Record("a"));
        time.Advance(TimeSpan.FromMinutes(10));
        time.Step(TimeSpan.FromDays(6 * 365));
        clock.Synchronized = true;
        outbox.Append(Record("a"));

        Assert.Equal([1L, 2], outbox.ReadOldest(10).Select(e => e.Seq));
        Assert.Equal(0, outbox.Stats().DroppedByRetention);
        Assert.Equal(600, outbox.Stats().OldestAgeSeconds); // ten minutes, by the monotonic clock
    }

    [Fact]
    public void Retention_RecordsFromAnUnsynchronisedEarlierBoot_AreNotAgedByTheWallClock()
    {
        var time = new SteppableTime(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using (var outbox = CountOutbox.Open(DbPath, new OutboxOptions { MaxAgeHours = 720 }, time, NullLogger.Instance,
            new FakeHostClock { Synchronized = false, BootId = "boot-1" }))
            outbox.Append(Record("a"));

        time.Step(TimeSpan.FromDays(6 * 365));
        using var rebooted = CountOutbox.Open(DbPath, new OutboxOptions { MaxAgeHours = 720 }, time, NullLogger.Instance,
            new FakeHostClock { Synchronized = true, BootId = "boot-2" });
        rebooted.EnforceLimits();
        Assert.Single(rebooted.ReadOldest(10));
        Assert.Null(rebooted.Stats().OldestAgeSeconds); // unknown, and said so
    }

    [Fact]
    public void Retention_SynchronisedRecordsFromAnEarlierBoot_AreAgedByTheWallClock()
    {
        var time = new SteppableTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using (var outbox = CountOutbox.Open(DbPath, new OutboxOptions { MaxAgeHours = 1 }, time, NullLogger.Instance,
            new FakeHostClock { Synchronized = true, BootId = "boot-1" }))
            outbox.Append(Record("a"));
        time.Step(TimeSpan.FromHours(2));
        using var rebooted = CountOutbox.Open(DbPath, new OutboxOptions { MaxAgeHours = 1 }, time, NullLogger.Instance,
            new FakeHostClock { Synchronized = true, BootId = "boot-2" });
        rebooted.EnforceLimits();
        Assert.Empty(rebooted.ReadOldest(10));
        Assert.Equal(1, rebooted.Stats().DroppedByRetention);
    }

    [Fact]
    public void Append_ClockNotSynchronised_MarksTheRecord()
    {
        var clock = new FakeHostClock { Synchronized = false };
        using var outbox = CountOutbox.Open(DbPath, new OutboxOptions(), _time, NullLogger.Instance, clock);
        var unsynced = outbox.Append(Record("a"))!;
        clock.Synchronized = true;
        var synced = outbox.Append(Record("a"))!;
        Assert.False(JsonDocument.Parse(unsynced.Payload).RootElement.GetProperty("clockSynced").GetBoolean());
        Assert.True(JsonDocument.Parse(synced.Payload).RootElement.GetProperty("clockSynced").GetBoolean());
    }

    [Fact]
    public async Task Stats_WhileAStorageCallHangs_AnswersAtOnceWithTheLastFiguresAndHowLongItIsStuck()
    {
        using var outbox = Open();
        outbox.Append(Record("a"));
        Assert.Equal(1, outbox.Stats().Backlog);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        outbox.BeforeWrite = () => { entered.Set(); release.Wait(TimeSpan.FromSeconds(30)); };
        var append = Task.Run(() => outbox.Append(Record("a")));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));
        _time.Advance(TimeSpan.FromSeconds(90));

        var stuck = outbox.Stats();
        Assert.Equal((1L, 90.0), (stuck.Backlog, stuck.StuckSeconds));
        Assert.Equal("storage has not answered for 90 s", stuck.LastError);

        outbox.BeforeWrite = null;
        release.Set();
        Assert.NotNull(await append.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((2L, 0.0, (string?)null), (outbox.Stats().Backlog, outbox.Stats().StuckSeconds, outbox.Stats().LastError));
    }

    [Fact]
    public void RecordsLostFromMemoryThenTheRestAtAStop_AreEachCountedOnce()
    {
        using (var outbox = Open(new OutboxOptions { MinFreeBytes = long.MaxValue, MaxPendingInMemory = 3 }))
            for (int i = 1; i <= 5; i++) outbox.Append(Record("a", i)); // 2 lost to the memory limit, 3 held when it stops
        using var reopened = Open();
        Assert.Equal(5, reopened.Stats().LostUnstored);
        Assert.Equal(6, reopened.Append(Record("a"))!.Seq);
    }

    [Fact]
    public void Retention_AcknowledgedRecordWaitingToBeDeleted_IsNotCountedAsDropped()
    {
        var options = new OutboxOptions { MaxRecords = 2 };
        using var outbox = Open(options);
        outbox.Append(Record("a"));
        outbox.Append(Record("a"));
        options.MinFreeBytes = long.MaxValue; // no room to delete: the acknowledged record waits
        outbox.Delete([outbox.ReadOldest(1).Single().Id]);
        options.MinFreeBytes = 0;
        outbox.Append(Record("a"));

        // Seq 1 reached the broker: it is no gap, so not a retention loss.
        Assert.Equal((0L, 2L), (outbox.Stats().DroppedByRetention, outbox.Stats().Backlog));
        Assert.Equal([2L, 3], outbox.ReadOldest(10).Select(e => e.Seq));
    }

    [Fact]
    public async Task Stats_DuringAnOrdinarySlowWrite_ReportsNoError()
    {
        using var outbox = Open();
        outbox.Append(Record("a"));
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        outbox.BeforeWrite = () => { entered.Set(); release.Wait(TimeSpan.FromSeconds(30)); };
        var append = Task.Run(() => outbox.Append(Record("a")));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));
        _time.Advance(TimeSpan.FromSeconds(1)); // an SD card's fsyncs can take that long

        var busy = outbox.Stats();
        Assert.Equal((1L, (string?)null, 0.0), (busy.Backlog, busy.LastError, busy.StuckSeconds));
        outbox.BeforeWrite = null;
        release.Set();
        await append.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class FakeHostClock : WorkerPool.Diagnostics.IHostClock
    {
        public bool Synchronized { get; set; } = true;
        public string BootId { get; init; } = "boot";
    }

    /// <summary>A wall clock that can be stepped (as NTP does) while the monotonic clock only runs forward.</summary>
    private sealed class SteppableTime(DateTimeOffset start) : TimeProvider
    {
        private readonly FakeTimeProvider _monotonic = new(start);
        private TimeSpan _step;
        public override DateTimeOffset GetUtcNow() => _monotonic.GetUtcNow() + _step;
        public override long GetTimestamp() => _monotonic.GetTimestamp();
        public override long TimestampFrequency => _monotonic.TimestampFrequency;
        public void Advance(TimeSpan by) => _monotonic.Advance(by);
        public void Step(TimeSpan by) => _step += by;
    }

    [Fact]
    public async Task Append_WakesAWaitingReader()
    {
        using var outbox = Open();
        var wait = outbox.WaitForRecordsAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);
        outbox.Append(Record("a"));
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

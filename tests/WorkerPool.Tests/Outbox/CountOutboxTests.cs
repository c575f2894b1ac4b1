using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
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

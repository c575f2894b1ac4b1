using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class OutboxHeartbeatSectionTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    [Fact]
    public void WriteTo_DiskFull_ReportsTheRecordsHeldInMemoryAndTheError()
    {
        var options = new OutboxOptions();
        using var outbox = CountOutbox.Open(_files.DbPath, options, _files.Time, NullLogger.Instance, new FixedHostClock());
        outbox.Append(new CountRecord { CameraId = "a" });
        _files.Time.Advance(TimeSpan.FromSeconds(12));
        options.MinFreeBytes = long.MaxValue;
        outbox.Append(new CountRecord { CameraId = "a" });
        var draft = new HeartbeatDraft(_files.Time.GetUtcNow());

        new OutboxHeartbeatSection(outbox).WriteTo(draft);

        var o = draft.Outbox!;
        Assert.Equal((1L, 12.0, 1, 0L, 0L), (o.Backlog, o.OldestAgeSeconds, o.PendingInMemory, o.LostUnstored, o.DroppedByRetention));
        Assert.StartsWith("disk almost full", o.LastError, StringComparison.Ordinal);
        Assert.True(o.Bytes > 0);
        Assert.Null(o.Quarantined);
        Assert.Null(o.Losses); // none yet: the field is left out
    }

    [Fact]
    public void WriteTo_AfterRetentionDroppedUnsentRecords_ListsTheirRange()
    {
        using var outbox = CountOutbox.Open(_files.DbPath, new OutboxOptions { MaxRecords = 2 }, _files.Time, NullLogger.Instance, new FixedHostClock());
        for (int i = 0; i < 5; i++) outbox.Append(new CountRecord { CameraId = "a" });
        var draft = new HeartbeatDraft(_files.Time.GetUtcNow());

        new OutboxHeartbeatSection(outbox).WriteTo(draft);

        Assert.Equal([new LossRange("a", 1, 3, "retention")], draft.Outbox!.Losses);
        Assert.Equal(3, draft.Outbox.DroppedByRetention);
    }

    [Fact]
    public void WriteTo_AfterAQuarantineAtStart_SaysWhereTheDamagedFileWent()
    {
        File.WriteAllBytes(_files.DbPath, new byte[16_384]);
        using var outbox = CountOutbox.Open(_files.DbPath, new OutboxOptions(), _files.Time, NullLogger.Instance, new FixedHostClock());
        var draft = new HeartbeatDraft(_files.Time.GetUtcNow());

        new OutboxHeartbeatSection(outbox).WriteTo(draft);

        Assert.Equal(_files.DbPath + ".corrupt-20261122T120000Z", draft.Outbox!.Quarantined);
        Assert.Equal((0L, 0.0), (draft.Outbox.Backlog, draft.Outbox.OldestAgeSeconds));
    }

    public void Dispose() => _files.Dispose();
}

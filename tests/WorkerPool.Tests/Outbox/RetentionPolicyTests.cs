using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class RetentionPolicyTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();
    private readonly FixedHostClock _host = new();

    private RecordClock Clock => new(_host, _files.Time);

    private OutboxStore OpenStore() => OutboxStore.OpenOrQuarantine(_files.DbPath, _files.Time, NullLogger.Instance, out _);

    private SeqAllocator OpenSeqs(OutboxStore store) => SeqAllocator.Open(_files.DbPath + ".seq", store, NullLogger.Instance);

    private RetentionPolicy Policy(OutboxOptions options, Microsoft.Extensions.Logging.ILogger log, RecordClock? clock = null) =>
        new(options, clock ?? Clock, new FreeSpaceGuard(_files.DbPath, options), log);

    [Fact]
    public void Apply_OverMaxRecords_DropsTheOldestAcrossBatches_AndTheCountSurvivesARestart()
    {
        var log = new ListLogger();
        using (var store = OpenStore())
        using (var seqs = OpenSeqs(store))
        {
            store.Insert([.. Enumerable.Range(1, 600).Select(i => OutboxTestFiles.Record("a", i))], Clock);

            long lost = Policy(new OutboxOptions { MaxRecords = 10 }, log, Clock).Apply(store, seqs);

            Assert.Equal((590L, 590L, 10L), (lost, seqs.Dropped, store.Count));
            Assert.Equal(591, store.ReadOldest(1).Single().Seq);
        }
        Assert.Equal(1, log.Count(4002)); // one line for the whole pass, not one per batch
        using var reopened = OpenStore();
        using var again = OpenSeqs(reopened);
        Assert.Equal(590, again.Dropped);
    }

    [Fact]
    public void Apply_MaxAge_DropsOnlyRecordsOlderThanTheLimit()
    {
        using var store = OpenStore();
        using var seqs = OpenSeqs(store);
        store.Insert([OutboxTestFiles.Record("a", 1)], Clock);
        _files.Time.Advance(TimeSpan.FromMinutes(90));
        store.Insert([OutboxTestFiles.Record("a", 2)], Clock);

        long lost = Policy(new OutboxOptions { MaxAgeHours = 1 }, NullLogger.Instance, Clock).Apply(store, seqs);

        Assert.Equal(1, lost);
        Assert.Equal([2L], store.ReadOldest(10).Select(e => e.Seq));
    }

    [Fact]
    public void Apply_RecordsOfUnknownAge_AreKept()
    {
        // Stored in an earlier boot by a clock that was not synchronised: their age cannot be told, so none is too old.
        using (var store = OpenStore())
            store.Insert([OutboxTestFiles.Record("a", 1)], new RecordClock(new FixedHostClock(synchronized: false, bootId: "boot-1"), _files.Time));
        _files.Time.Advance(TimeSpan.FromDays(3650));
        using var reopened = OpenStore();
        using var seqs = OpenSeqs(reopened);
        var now = new RecordClock(new FixedHostClock(synchronized: true, bootId: "boot-2"), _files.Time);

        long lost = Policy(new OutboxOptions { MaxAgeHours = 1 }, NullLogger.Instance, now).Apply(reopened, seqs);

        Assert.Equal((0L, 1L), (lost, reopened.Count));
    }

    [Fact]
    public void Apply_MaxBytes_KeepsTheNewestThatFit()
    {
        using var store = OpenStore();
        using var seqs = OpenSeqs(store);
        store.Insert([OutboxTestFiles.Record("a", 1)], Clock);
        long one = store.Bytes;
        store.Insert([.. Enumerable.Range(2, 4).Select(i => OutboxTestFiles.Record("a", i))], Clock);

        long lost = Policy(new OutboxOptions { MaxBytes = one * 2 + one / 2 }, NullLogger.Instance, Clock).Apply(store, seqs);

        Assert.Equal(3, lost);
        Assert.Equal([4L, 5], store.ReadOldest(10).Select(e => e.Seq));
    }

    [Fact]
    public void Apply_WithinTheLimits_DropsNothingAndLogsNothing()
    {
        var log = new ListLogger();
        using var store = OpenStore();
        using var seqs = OpenSeqs(store);
        store.Insert([OutboxTestFiles.Record("a", 1), OutboxTestFiles.Record("a", 2)], Clock);

        Assert.Equal(0, Policy(new OutboxOptions(), log, Clock).Apply(store, seqs));
        Assert.Equal(2, store.Count);
        Assert.Empty(log.Lines);
    }

    public void Dispose() => _files.Dispose();
}

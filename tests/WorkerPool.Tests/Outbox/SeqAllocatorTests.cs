using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class SeqAllocatorTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    private string LedgerPath => _files.DbPath + ".seq";

    private RecordClock Clock => new(new FixedHostClock(), _files.Time);

    private OutboxStore OpenStore() => OutboxStore.OpenOrQuarantine(_files.DbPath, _files.Time, NullLogger.Instance, out _);

    private static WorkerPool.Contracts.CountRecord Unnumbered(string camera, string messageId = "") => new() { CameraId = camera, MessageId = messageId };

    [Fact]
    public void Number_GivesEachCameraItsNextSeq_AndAMessageIdOnlyWhereThereIsNone()
    {
        using var store = OpenStore();
        using var seqs = SeqAllocator.Open(LedgerPath, store, NullLogger.Instance);
        var a1 = Unnumbered("a");
        var b1 = Unnumbered("b");
        var a2 = Unnumbered("a", "kept-id");

        foreach (var r in new[] { a1, b1, a2 }) seqs.Number(r);

        Assert.Equal((1L, 1L, 2L), (a1.Seq, b1.Seq, a2.Seq));
        Assert.True(Guid.TryParse(a1.MessageId, out _));
        Assert.NotEqual(a1.MessageId, b1.MessageId);
        Assert.Equal("kept-id", a2.MessageId);
    }

    [Fact]
    public void Open_NumbersGivenOutButNeverStored_AreCountedLostOnceAndNeverGivenAgain()
    {
        var log = new ListLogger();
        using (var store = OpenStore())
        using (var seqs = SeqAllocator.Open(LedgerPath, store, log))
        {
            seqs.Number(Unnumbered("a"));
            seqs.Number(Unnumbered("a"));
            seqs.Save(); // the numbers are durable; their records never reach storage
        }

        using (var store = OpenStore())
        using (var seqs = SeqAllocator.Open(LedgerPath, store, log))
        {
            Assert.Equal(2, seqs.Lost);
            var next = Unnumbered("a");
            seqs.Number(next);
            Assert.Equal(3, next.Seq);
        }
        Assert.Equal(1, log.Count(4006)); // "lost at start", once: the second open reconciled it
        using var again = OpenStore();
        using var third = SeqAllocator.Open(LedgerPath, again, log);
        Assert.Equal(2, third.Lost);
        Assert.Equal(1, log.Count(4006));
    }

    [Fact]
    public void Open_DatabaseAheadOfTheLedger_ContinuesAfterTheDatabasesMarks()
    {
        using (var store = OpenStore()) store.Insert([OutboxTestFiles.Record("a", 41)], Clock); // no ledger written

        using var reopened = OpenStore();
        using var seqs = SeqAllocator.Open(LedgerPath, reopened, NullLogger.Instance);
        var next = Unnumbered("a");
        seqs.Number(next);

        Assert.Equal(42, next.Seq);
        Assert.Equal(0, seqs.Lost);
    }

    [Fact]
    public void MarkLost_CountsDurablyAndLogsTheGap()
    {
        var log = new ListLogger();
        using (var store = OpenStore())
        using (var seqs = SeqAllocator.Open(LedgerPath, store, log))
        {
            var lost = Unnumbered("a");
            seqs.Number(lost);
            seqs.MarkLost(lost);
            seqs.Save();
            Assert.Equal(1, seqs.Lost);
        }
        Assert.Contains(log.Lines, l => l.EventId == 4003 && l.Message.Contains("seq 1", StringComparison.Ordinal));

        using var reopened = OpenStore();
        using var again = SeqAllocator.Open(LedgerPath, reopened, NullLogger.Instance);
        Assert.Equal(1, again.Lost); // settled: not counted a second time at start
        var next = Unnumbered("a");
        again.Number(next);
        Assert.Equal(2, next.Seq);
    }

    [Fact]
    public void Open_RetentionCountOnlyInTheDatabase_IsTakenOver()
    {
        using (var store = OpenStore())
        {
            store.Insert([OutboxTestFiles.Record("a", 1), OutboxTestFiles.Record("a", 2)], Clock);
            store.DropOldest(_ => store.Count > 1, droppedBefore: 6);
        }
        using var reopened = OpenStore();
        using var seqs = SeqAllocator.Open(LedgerPath, reopened, NullLogger.Instance);
        Assert.Equal(7, seqs.Dropped);
    }

    public void Dispose() => _files.Dispose();
}

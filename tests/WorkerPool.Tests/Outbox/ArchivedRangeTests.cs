using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class ArchivedRangeTests
{
    private static OutboxEntry Entry(long seq) => new(seq, "a", seq, Guid.NewGuid().ToString(), DateTime.UnixEpoch, "{}");

    [Fact]
    public void Of_WhatIsNeitherDeliveredNorWaiting_IsMissing_AsRangesInOrder()
    {
        var range = ArchivedRange.Of(1, 10, [Entry(3), Entry(2), Entry(7)], waiting: [8, 9]);

        Assert.Equal([2L, 3, 7], range.Delivered.Select(e => e.Seq));
        Assert.Equal([(1L, 1L), (4L, 6L), (10L, 10L)], range.Missing);
    }

    [Fact]
    public void Of_AllThere_NothingMissing_AndARecordFoundTwiceIsSentOnce()
    {
        var twice = Entry(1);
        var range = ArchivedRange.Of(1, 2, [twice, twice], waiting: [2]);

        Assert.Single(range.Delivered);
        Assert.Empty(range.Missing);
    }

    [Fact]
    public void Of_NothingThere_TheWholeRangeIsMissing()
    {
        Assert.Equal([(5L, 9L)], ArchivedRange.Of(5, 9, [], []).Missing);
    }
}

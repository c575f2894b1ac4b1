using WorkerPool.Config;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class PendingBufferTests
{
    [Fact]
    public void TakeOverflow_ReturnsTheOldestBeyondTheLimit_AndKeepsTheRestInOrder()
    {
        var buffer = new PendingBuffer(new OutboxOptions { MaxPendingInMemory = 2 });
        for (int i = 1; i <= 5; i++) buffer.Add(OutboxTestFiles.Record("a", i));

        var lost = buffer.TakeOverflow();

        Assert.Equal([1L, 2, 3], lost.Select(r => r.Seq));
        Assert.Equal([4L, 5], buffer.Select(r => r.Seq));
        Assert.Equal(2, buffer.Count);
    }

    [Fact]
    public void TakeOverflow_WithinTheLimit_TakesNothing()
    {
        var buffer = new PendingBuffer(new OutboxOptions { MaxPendingInMemory = 3 });
        buffer.Add(OutboxTestFiles.Record("a", 1));

        Assert.Empty(buffer.TakeOverflow());
        Assert.Single(buffer);
    }

    [Fact]
    public void TakeOverflow_FollowsALimitChangedAfterStart()
    {
        var options = new OutboxOptions { MaxPendingInMemory = 10 };
        var buffer = new PendingBuffer(options);
        for (int i = 1; i <= 4; i++) buffer.Add(OutboxTestFiles.Record("a", i));

        options.MaxPendingInMemory = 1;

        Assert.Equal(3, buffer.TakeOverflow().Count);
        Assert.Equal([4L], buffer.Select(r => r.Seq));
    }

    [Fact]
    public void Clear_EmptiesTheBuffer()
    {
        var buffer = new PendingBuffer(new OutboxOptions());
        buffer.Add(OutboxTestFiles.Record("a", 1));

        buffer.Clear();

        Assert.Empty(buffer);
    }
}

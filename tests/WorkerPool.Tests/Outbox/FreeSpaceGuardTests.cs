using WorkerPool.Config;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class FreeSpaceGuardTests
{
    private static readonly string Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "outbox.db");

    [Fact]
    public void EnsureRoom_BelowMinFreeBytes_RefusesWithTheFiguresAndTheSetting()
    {
        var guard = new FreeSpaceGuard(Path, new OutboxOptions { MinFreeBytes = long.MaxValue });

        var ex = Assert.Throws<DiskAlmostFullException>(guard.EnsureRoom);

        Assert.StartsWith("disk almost full: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"bytes free for {Path} (outbox.minFreeBytes is {long.MaxValue})", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureRoom_WithRoom_Allows()
    {
        var guard = new FreeSpaceGuard(Path, new OutboxOptions { MinFreeBytes = 0 });

        guard.EnsureRoom(); // does not throw
    }

    [Fact]
    public void EnsureRoom_FollowsAMinimumChangedAfterStart()
    {
        var options = new OutboxOptions { MinFreeBytes = 0 };
        var guard = new FreeSpaceGuard(Path, options);
        guard.EnsureRoom();

        options.MinFreeBytes = long.MaxValue;

        Assert.Throws<DiskAlmostFullException>(guard.EnsureRoom);
    }

    [Fact]
    public void EnsureRoom_RunsTheTestHookFirst()
    {
        int calls = 0;
        var guard = new FreeSpaceGuard(Path, new OutboxOptions { MinFreeBytes = long.MaxValue }) { BeforeWrite = () => calls++ };

        Assert.Throws<DiskAlmostFullException>(guard.EnsureRoom);

        Assert.Equal(1, calls);
    }
}

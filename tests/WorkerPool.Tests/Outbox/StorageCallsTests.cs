using Microsoft.Extensions.Time.Testing;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class StorageCallsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task RunningSeconds_WhileACallHangs_TellsHowLongItHasRun_AndTheTurnIsTaken()
    {
        var calls = new StorageCalls(_time);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var call = Task.Run(() => calls.Run(() =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        }));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));

        _time.Advance(TimeSpan.FromSeconds(12.34));

        Assert.True(calls.InProgress);
        Assert.Equal(12.3, calls.RunningSeconds);
        Assert.False(calls.TryEnter(TimeSpan.FromMilliseconds(50)));
        release.Set();
        await call.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(calls.InProgress);
        Assert.Equal(0, calls.RunningSeconds);
    }

    [Fact]
    public void Run_ACallThatThrows_EndsTheCallAndReleasesTheTurn()
    {
        var calls = new StorageCalls(_time);

        Assert.Throws<IOException>(() => calls.Run<int>(() => throw new IOException("EIO")));

        Assert.False(calls.InProgress);
        Assert.True(calls.TryEnter(TimeSpan.Zero));
        calls.Exit();
    }

    [Fact]
    public void Run_ReturnsTheCallsResult()
    {
        Assert.Equal(42, new StorageCalls(_time).Run(() => 42));
    }
}

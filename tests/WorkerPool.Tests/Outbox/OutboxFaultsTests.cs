using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class OutboxFaultsTests
{
    private readonly ListLogger _log = new();

    [Fact]
    public void WriteFailed_Repeatedly_LogsOnceAndReportsTheLatestError()
    {
        var faults = new OutboxFaults(_log);

        faults.WriteFailed(new IOException("No space left on device"), pending: 1);
        faults.WriteFailed(new IOException("Input/output error"), pending: 2);

        Assert.Equal(1, _log.Count(4001));
        Assert.Equal("Input/output error", faults.LastError);
        Assert.True(faults.WriteFailing);
    }

    [Fact]
    public void WriteWorked_AfterAFailure_LogsTheRecoveryOnceAndClearsTheError()
    {
        var faults = new OutboxFaults(_log);
        faults.WriteWorked(3); // nothing was failing: nothing to say
        faults.WriteFailed(new IOException("full"), pending: 3);

        faults.WriteWorked(3);
        faults.WriteWorked(1);

        Assert.Equal(1, _log.Count(4010));
        Assert.Contains(_log.Lines, l => l.EventId == 4010 && l.Message.Contains("3 held record(s)", StringComparison.Ordinal));
        Assert.Null(faults.LastError);
        Assert.False(faults.Any);
    }

    [Fact]
    public void DeletesWaitForRoom_KeepsTheFirstReason()
    {
        var faults = new OutboxFaults(_log);
        faults.WriteFailed(new IOException("Input/output error"), pending: 0);

        faults.DeletesWaitForRoom(new DiskAlmostFullException("disk almost full"), pending: 0);

        Assert.Equal("Input/output error", faults.LastError);
        Assert.Equal(1, _log.Count(4001));
    }

    [Fact]
    public void LastError_AFailingWriteComesBeforeAFailingRead()
    {
        var faults = new OutboxFaults(_log);
        faults.ReadFailed(new IOException("read failed"));
        Assert.Equal("read failed", faults.LastError);

        faults.WriteFailed(new IOException("write failed"), pending: 1);

        Assert.Equal("write failed", faults.LastError);
    }

    [Fact]
    public void ReadFailed_OnStreamsLiteDbLeftDisposed_SaysTheStoreIsBeingReopened()
    {
        var faults = new OutboxFaults(_log);

        string message = faults.ReadFailed(new ObjectDisposedException("LiteFileStream"));

        Assert.Equal("storage failed earlier and is being reopened", message);
        Assert.Equal(message, faults.LastError);
    }

    [Fact]
    public void ReadWorked_AfterAFailure_LogsOnceAndClears()
    {
        var faults = new OutboxFaults(_log);
        faults.ReadFailed(new IOException("EIO"));
        faults.ReadFailed(new IOException("EIO"));

        faults.ReadWorked();
        faults.ReadWorked();

        Assert.Equal((1, 1), (_log.Count(4008), _log.Count(4009)));
        Assert.False(faults.Any);
    }
}

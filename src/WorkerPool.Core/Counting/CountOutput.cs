using WorkerPool.Contracts;

namespace WorkerPool.Counting;

/// <summary>
/// What a camera's counter hands on, in the order it happened: a closed window to store, or a checkpoint of the
/// open one (what it holds so far, to be closed as partial if the process dies before the window ends). One channel
/// carries both, so a checkpoint can never land after the record of its own window.
/// </summary>
/// <param name="Record">The window's counts.</param>
/// <param name="IsCheckpoint">True: the window is still open and this is a checkpoint of it.</param>
public readonly record struct CountOutput(CountRecord Record, bool IsCheckpoint)
{
    /// <summary>A closed window, to store.</summary>
    public static CountOutput Closed(CountRecord record) => new(record, false);

    /// <summary>A checkpoint of the open window.</summary>
    public static CountOutput Checkpoint(CountRecord record) => new(record, true);
}

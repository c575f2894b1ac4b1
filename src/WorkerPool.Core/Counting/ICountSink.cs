using WorkerPool.Contracts;

namespace WorkerPool.Counting;

/// <summary>Where closed count windows go (the durable outbox in front of MQTT), with the open windows' checkpoints.</summary>
public interface ICountSink
{
    /// <summary>Takes one closed window. Must not throw for a record it cannot keep; it logs instead.</summary>
    void Write(CountRecord record);

    /// <summary>
    /// Keeps the open windows' counts so far, one per camera, each replacing that camera's last checkpoint, until
    /// the camera's next closed window is written. A checkpoint still held at the next start is a window a crash
    /// interrupted: it is closed then, marked partial. Must not throw; a checkpoint that cannot be kept is logged.
    /// </summary>
    void Checkpoint(IReadOnlyList<CountRecord> openWindows);
}

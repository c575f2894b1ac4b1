using WorkerPool.Contracts;


namespace WorkerPool.Counting;

/// <summary>Where closed count windows go (the log now; the durable outbox in front of MQTT).</summary>
public interface ICountSink
{
    /// <summary>Takes one closed window. Must not throw for a record it cannot keep; it logs instead.</summary>
    void Write(CountRecord record);
}

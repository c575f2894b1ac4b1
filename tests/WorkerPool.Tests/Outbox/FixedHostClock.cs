using WorkerPool.Diagnostics;

namespace WorkerPool.Tests.Outbox;

/// <summary>A host clock the test sets.</summary>
internal sealed class FixedHostClock(bool synchronized = true, string bootId = "boot") : IHostClock
{
    public bool Synchronized { get; set; } = synchronized;

    public string BootId { get; } = bootId;
}

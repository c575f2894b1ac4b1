using Microsoft.Extensions.Time.Testing;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.Outbox;

/// <summary>A temporary folder for one test's outbox files, records to put in them, and a host clock to stamp them.</summary>
internal sealed class OutboxTestFiles : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "outbox-part-" + Guid.NewGuid().ToString("N")[..10]);

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    public OutboxTestFiles() => Directory.CreateDirectory(Dir);

    public string DbPath => Path.Combine(Dir, "outbox.db");

    public static CountRecord Record(string camera, long seq, int processed = 1) => new()
    {
        MessageId = Guid.NewGuid().ToString(), Seq = seq, DeviceId = "dev", CameraId = camera, FramesProcessed = processed,
        WindowStart = DateTimeOffset.UnixEpoch, WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(1),
    };

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

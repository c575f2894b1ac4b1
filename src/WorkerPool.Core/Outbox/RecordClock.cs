using LiteDB;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// When a stored record was stored, in a form whose age can be told without trusting the wall clock: the wall time,
/// whether the clock was synchronised then, and the boot and monotonic time. Within one boot the age comes from the
/// monotonic clock, so a clock stepped by NTP after boot ages nothing; across boots only a record stored with a
/// synchronised clock can be aged by the (then synchronised) wall clock; any other age is unknown.
/// </summary>
internal sealed class RecordClock(IHostClock host, TimeProvider time)
{
    /// <summary>Whether the host's clock is synchronised now.</summary>
    public bool Synchronized => host.Synchronized;

    /// <summary>Adds the storage stamps to a record's document.</summary>
    public void Stamp(BsonDocument doc)
    {
        doc["at"] = time.GetUtcNow().UtcDateTime;
        doc["sync"] = host.Synchronized;
        doc["boot"] = host.BootId;
        doc["up"] = MonotonicSeconds();
    }

    /// <summary>Seconds since the record was stored, or null when that cannot be known.</summary>
    public double? AgeSeconds(BsonDocument doc)
    {
        if (host.BootId.Length > 0 && doc.TryGetValue("boot", out var boot) && boot.IsString && boot.AsString == host.BootId
            && doc.TryGetValue("up", out var up) && up.IsNumber)
            return Math.Max(0, MonotonicSeconds() - up.AsDouble);
        if (doc.TryGetValue("sync", out var sync) && sync.IsBoolean && sync.AsBoolean && host.Synchronized)
            return Math.Max(0, (time.GetUtcNow().UtcDateTime - doc["at"].AsDateTime.ToUniversalTime()).TotalSeconds);
        return null; // stored by an unsynchronised clock in an earlier boot (or by a release that kept no stamps)
    }

    private double MonotonicSeconds() => time.GetTimestamp() / (double)time.TimestampFrequency;
}

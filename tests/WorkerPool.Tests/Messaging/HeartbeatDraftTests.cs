using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Tests.Messaging;

public sealed class HeartbeatDraftTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static HeartbeatDraft Complete() => new(Now)
    {
        DeviceId = "dev", Version = "1", ConfigVersion = "0:abc", BootTime = Now.AddMinutes(-1), UptimeSeconds = 60,
        System = new SystemPayload(null, 4, 1, null, []), Cameras = [], Workers = [], PoolQueueDepth = 0,
        Outbox = new OutboxPayload(0, 0, 0, 0, 0, 0, null, null), Health = new HealthPayload("healthy", null),
        Thermal = new ThermalPayload(null, null, 0, 0, 100), Clock = new ClockPayload(true), Security = new SecurityPayload(false),
        TimeZone = "Europe/Berlin", HeartbeatSeconds = 30,
    };

    [Fact]
    public void ToPayload_EveryPartWritten_CarriesThemAndTheDraftsTime()
    {
        var payload = Complete().ToPayload();

        Assert.Equal((Now, "dev", 60.0, "0:abc"), (payload.Time, payload.DeviceId, payload.UptimeSeconds, payload.ConfigVersion));
        Assert.Equal(("Europe/Berlin", 30), (payload.TimeZone, payload.HeartbeatSeconds));
        Assert.Null(payload.LastPublishAt); // nothing acknowledged yet is a real value, not a missing part
    }

    [Fact]
    public void ToPayload_PartsNoSectionWrote_AreNamed()
    {
        var draft = Complete();
        draft.Outbox = null;
        draft.PoolQueueDepth = null;
        draft.Security = null;
        draft.TimeZone = null;
        draft.HeartbeatSeconds = null;

        var ex = Assert.Throws<InvalidOperationException>(draft.ToPayload);

        Assert.Equal("No heartbeat section wrote poolQueueDepth, outbox, security, timeZone, heartbeatSeconds: is every feature's Add…() registered?", ex.Message);
    }

    [Fact]
    public void ToPayload_AnEmptyDraft_NamesEveryPart()
    {
        var ex = Assert.Throws<InvalidOperationException>(new HeartbeatDraft(Now).ToPayload);

        Assert.Contains("deviceId, version, configVersion, bootTime, uptimeSeconds, system, cameras, workers, poolQueueDepth, outbox, health, thermal, clock, security, timeZone, heartbeatSeconds", ex.Message, StringComparison.Ordinal);
    }
}

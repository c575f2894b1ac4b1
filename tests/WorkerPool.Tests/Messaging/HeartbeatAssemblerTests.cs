using Microsoft.Extensions.Time.Testing;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;

namespace WorkerPool.Tests.Messaging;

public sealed class HeartbeatAssemblerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Assemble_EverySectionWritesItsParts_AtOneMoment()
    {
        var seen = new List<DateTimeOffset>();
        var identity = new Section(d =>
        {
            seen.Add(d.Time);
            d.DeviceId = "dev";
            d.Version = "1";
            d.ConfigVersion = "0:abc";
            d.BootTime = d.Time.AddSeconds(-90);
            d.UptimeSeconds = 90;
        });
        var rest = new Section(d =>
        {
            seen.Add(d.Time);
            _time.Advance(TimeSpan.FromSeconds(1)); // a slow section does not move the moment the others measure against
            d.System = new SystemPayload(null, 1, 1, null, []);
            d.Cameras = [];
            d.Workers = [];
            d.PoolQueueDepth = 2;
            d.Outbox = new OutboxPayload(5, 1, 10, 0, 0, 0, null, null);
            d.Health = new HealthPayload("healthy", null);
            d.Thermal = new ThermalPayload(null, null, 0, 0, 100);
            d.Clock = new ClockPayload(true);
            d.Security = new SecurityPayload(true);
            d.TimeZone = "UTC";
            d.HeartbeatSeconds = 30;
        });
        var late = new Section(d => seen.Add(d.Time));

        var heartbeat = new HeartbeatAssembler([identity, rest, late], _time).Assemble();

        Assert.Equal([_time.GetUtcNow().AddSeconds(-1)], seen.Distinct());
        Assert.Equal(("dev", 2, 5L, true), (heartbeat.DeviceId, heartbeat.PoolQueueDepth, heartbeat.Outbox.Backlog, heartbeat.Security.Verified));
    }

    [Fact]
    public void Assemble_AFeatureWithoutItsSection_Throws()
    {
        var assembler = new HeartbeatAssembler([new Section(d => d.DeviceId = "dev")], _time);

        var ex = Assert.Throws<InvalidOperationException>(assembler.Assemble);

        Assert.Contains("version", ex.Message, StringComparison.Ordinal);
    }

    private sealed class Section(Action<HeartbeatDraft> write) : IHeartbeatSection
    {
        public void WriteTo(HeartbeatDraft draft) => write(draft);
    }
}

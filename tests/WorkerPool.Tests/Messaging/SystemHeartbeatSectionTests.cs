using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;
using WorkerPool.Tests.Outbox;

namespace WorkerPool.Tests.Messaging;

public sealed class SystemHeartbeatSectionTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    [Fact]
    public void WriteTo_ReportsLoadZonesAndTheFreeDiskWhereTheOutboxLives()
    {
        string thermal = Path.Combine(_files.Dir, "thermal"), proc = Path.Combine(_files.Dir, "proc");
        FakeThermalZones.Write(thermal, "thermal_zone0", "cpu-thermal", 47.5);
        FakeThermalZones.Write(thermal, "thermal_zone1", "gpu-thermal", 44);
        Directory.CreateDirectory(proc);
        File.WriteAllText(Path.Combine(proc, "loadavg"), "1.75 1.0 0.5 2/300 99\n");
        var config = new DeviceConfig();
        config.Outbox.Path = _files.DbPath;
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new SystemHeartbeatSection(new SystemMetrics(thermal, proc), config).WriteTo(draft);

        var system = draft.System!;
        Assert.Equal((1.75, Environment.ProcessorCount), (system.Load1, system.CpuCount));
        Assert.Equal([("thermal_zone0", "cpu-thermal", 47.5), ("thermal_zone1", "gpu-thermal", 44.0)], system.Temperatures.Select(t => (t.Zone, t.Type, t.Celsius)));
        // Other tests write to the same disk meanwhile: the two reads agree to within a few megabytes, not exactly.
        long? free = SystemMetrics.DiskFree(_files.DbPath);
        Assert.Equal(free is null, system.DiskFreeBytes is null);
        if (free is { } f) Assert.InRange(system.DiskFreeBytes!.Value, f - 256_000_000, f + 256_000_000);
        Assert.True(system.ProcessRssBytes > 0);
    }

    public void Dispose() => _files.Dispose();
}

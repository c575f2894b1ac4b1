using WorkerPool.Diagnostics;

namespace WorkerPool.Tests.Diagnostics;

public sealed class SystemMetricsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sysfs-" + Guid.NewGuid().ToString("N")[..8]);

    private void Zone(string name, string? type, string? temp) => FakeThermalZones.Write(Path.Combine(_root, "thermal"), name, type, temp);

    [Fact]
    public void Temperatures_FakeJetsonTree_ReadsEveryValidZoneAndSkipsBrokenOnes()
    {
        Zone("thermal_zone0", "CPU-therm", "45500");
        Zone("thermal_zone1", "GPU-therm", "43000");
        Zone("thermal_zone2", "PMIC-Die", null);      // no temp file: absent, left out
        Zone("thermal_zone3", "junk", "not-a-number"); // unreadable value: left out, not faked
        Zone("cooling_device0", "fan", "1");           // not a thermal zone

        var readings = new SystemMetrics(Path.Combine(_root, "thermal"), _root).Temperatures();

        Assert.Equal([("thermal_zone0", "CPU-therm", 45.5), ("thermal_zone1", "GPU-therm", 43.0)],
            readings.Select(r => (r.Zone, r.Type, r.Celsius)));
    }

    [Fact]
    public void Temperatures_NoThermalTree_IsEmptyNotFake() =>
        Assert.Empty(new SystemMetrics(Path.Combine(_root, "absent"), _root).Temperatures());

    [Fact]
    public void Load1_ReadsTheFirstFieldOfLoadavg()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllText(Path.Combine(_root, "loadavg"), "0.42 0.30 0.20 1/123 4567\n");
        Assert.Equal(0.42, new SystemMetrics(_root, _root).Load1());
        Assert.Null(new SystemMetrics(_root, Path.Combine(_root, "none")).Load1());
    }

    [Fact]
    public void DiskFree_ForAFileThatDoesNotExistYet_UsesItsFolder() =>
        Assert.True(SystemMetrics.DiskFree(Path.Combine(Path.GetTempPath(), "not-yet.db")) > 0);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}

using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Health;

namespace WorkerPool.Tests.Health;

/// <summary>Thermal throttling against a fake /sys/class/thermal tree.</summary>
public sealed class ThermalGovernorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("thermal-").FullName;
    private readonly FakeTimeProvider _time = new();
    private readonly ListLogger _logger = new();
    private readonly ThermalOptions _options;

    public ThermalGovernorTests()
    {
        _options = new ThermalOptions { ThrottleCelsius = 80, StepPercent = 25, MinPercent = 25, HoldSeconds = 30, SysfsRoot = _root };
        Zone("thermal_zone0", "CPU-therm", 50);
        Zone("thermal_zone1", "GPU-therm", 50);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Zone(string name, string type, double celsius) => FakeThermalZones.Write(_root, name, type, celsius);

    private ThermalGovernor Governor() => new(() => _options, _time, _logger);

    /// <summary>Reads the fake tree, steps, then lets the hold time pass.</summary>
    private int Poll(ThermalGovernor governor)
    {
        governor.Step(new SystemMetrics(_root).Temperatures());
        _time.Advance(TimeSpan.FromSeconds(_options.HoldSeconds));
        return governor.Percent;
    }

    [Fact]
    public void HotSoc_LowersSamplingStepByStep_DownToTheMinimum()
    {
        var governor = Governor();
        Assert.Equal(100, Poll(governor));
        Zone("thermal_zone1", "GPU-therm", 85);
        Assert.Equal([75, 50, 25, 25], new[] { Poll(governor), Poll(governor), Poll(governor), Poll(governor) });
        Assert.Equal(3, governor.Level);
        Assert.Equal(85, governor.Celsius);
        Assert.Equal("thermal_zone1 GPU-therm", governor.Zone);
        Assert.Equal(3, _logger.Count(7020));
    }

    [Fact]
    public void CoolSoc_RestoresStepByStep_AndTheBandBetweenHoldsTheLevel()
    {
        var governor = Governor();
        Zone("thermal_zone0", "CPU-therm", 82);
        Poll(governor);
        Poll(governor);
        Assert.Equal(50, governor.Percent);

        Zone("thermal_zone0", "CPU-therm", 77); // between resume (75) and throttle (80): hold
        Assert.Equal(50, Poll(governor));
        Zone("thermal_zone0", "CPU-therm", 70);
        Assert.Equal([75, 100, 100], new[] { Poll(governor), Poll(governor), Poll(governor) });
        Assert.Equal(2, _logger.Count(7021));
    }

    [Fact]
    public void Steps_WaitForTheHoldTime()
    {
        var governor = Governor();
        Zone("thermal_zone0", "CPU-therm", 90);
        var readings = new SystemMetrics(_root).Temperatures();
        Assert.True(governor.Step(readings));
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(governor.Step(readings));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(governor.Step(readings));
        Assert.Equal(2, governor.Level);
    }

    [Fact]
    public void NamedZone_IsWatchedEvenWhenAnotherIsHotter()
    {
        _options.Zone = "CPU-therm";
        var governor = Governor();
        Zone("thermal_zone1", "GPU-therm", 95);
        Assert.Equal(100, Poll(governor));
        Assert.Equal(50, governor.Celsius);
    }

    [Fact]
    public void MissingZone_WarnsOnce_AndKeepsTheLevel()
    {
        _options.Zone = "SOC-therm";
        var governor = Governor();
        Poll(governor);
        Poll(governor);
        Assert.Equal(0, governor.Level);
        Assert.Null(governor.Celsius);
        Assert.Equal(1, _logger.Count(7022));
    }

    [Fact]
    public void ThrottlingOff_NeverLowersSampling()
    {
        _options.ThrottleCelsius = 0;
        var governor = Governor();
        Zone("thermal_zone0", "CPU-therm", 110);
        Assert.Equal(100, Poll(governor));
        Assert.Null(governor.Celsius);
    }

    [Fact]
    public void TargetFps_ScalesConfiguredFps_OrTheMeasuredRateWhenEveryFrameIsWanted()
    {
        var governor = Governor();

        Zone("thermal_zone0", "CPU-therm", 90);
        Poll(governor);
        Assert.Equal((7.5, 18.75), (governor.TargetFps(10, measuredFps: 25), governor.TargetFps(0, measuredFps: 25)));

        Zone("thermal_zone0", "CPU-therm", 60);
        Poll(governor);
        Assert.Equal((10.0, 0.0), (governor.TargetFps(10, 25), governor.TargetFps(0, 25)));
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Control;
using WorkerPool.Diagnostics;
using WorkerPool.Health;
using WorkerPool.Tests.Control;

namespace WorkerPool.Tests.Health;

public sealed class ThermalHeartbeatSectionTests
{
    [Fact]
    public void WriteTo_Throttled_ReportsTheReadingTheStepAndTheRate()
    {
        var config = new DeviceConfig();
        config.Thermal.ThrottleCelsius = 70;
        var control = new FakeDeviceControl(config);
        var governor = new ThermalGovernor(() => config.Thermal, new FakeTimeProvider(), NullLogger.Instance);
        governor.Step([new ThermalReading("thermal_zone2", "soc-thermal", 85.5)]);
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new ThermalHeartbeatSection(governor, new ConfigSectionMonitor<ThermalOptions>(control, c => c.Thermal)).WriteTo(draft);

        var t = draft.Thermal!;
        Assert.Equal((85.5, 70.0, 1), (t.Celsius, t.ThrottleCelsius, t.Level));
        Assert.Equal(governor.Zone, t.Zone);
        Assert.Equal(ThermalGovernor.PercentAt(config.Thermal, 1), t.SamplingPercent);
        Assert.True(t.SamplingPercent < 100);
    }

    [Fact]
    public void WriteTo_BeforeAnyReading_ReportsNoTemperatureAndTheFullRate()
    {
        var config = new DeviceConfig();
        var governor = new ThermalGovernor(() => config.Thermal, new FakeTimeProvider(), NullLogger.Instance);
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new ThermalHeartbeatSection(governor, new ConfigSectionMonitor<ThermalOptions>(new FakeDeviceControl(config), c => c.Thermal)).WriteTo(draft);

        Assert.Equal(((double?)null, (string?)null, 0, 100), (draft.Thermal!.Celsius, draft.Thermal.Zone, draft.Thermal.Level, draft.Thermal.SamplingPercent));
    }
}

using WorkerPool.Config;
using WorkerPool.Control;

namespace WorkerPool.Tests.Control;

public class ConfigSectionMonitorTests
{
    [Fact]
    public void The_current_value_is_the_section_of_the_config_in_effect_and_listeners_hear_each_applied_config_until_they_leave()
    {
        var control = new FakeDeviceControl(new DeviceConfig { Thermal = new ThermalOptions { ThrottleCelsius = 70 } });
        var monitor = new ConfigSectionMonitor<ThermalOptions>(control, c => c.Thermal);
        var heard = new List<double>();
        Assert.Equal(70, monitor.CurrentValue.ThrottleCelsius);

        var subscription = monitor.OnChange((t, _) => heard.Add(t.ThrottleCelsius));
        control.Apply(new DeviceConfig { Thermal = new ThermalOptions { ThrottleCelsius = 75 } });
        Assert.Equal(75, monitor.CurrentValue.ThrottleCelsius);
        subscription.Dispose();
        subscription.Dispose(); // twice is harmless
        control.Apply(new DeviceConfig { Thermal = new ThermalOptions { ThrottleCelsius = 80 } });

        Assert.Equal([75.0], heard);
        Assert.Equal(80, monitor.Get("any").ThrottleCelsius);
    }
}

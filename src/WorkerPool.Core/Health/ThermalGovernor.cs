using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Pipeline;

namespace WorkerPool.Health;

/// <summary>
/// Thermal throttling by steps. At or above <see cref="ThermalOptions.ThrottleCelsius"/> each reading lowers camera
/// sampling by one step (<see cref="ThermalOptions.StepPercent"/> of the full rate, down to
/// <see cref="ThermalOptions.MinPercent"/>); at or below the resume temperature each reading raises it by one step.
/// Steps are at least <see cref="ThermalOptions.HoldSeconds"/> apart so the SoC has time to respond, and the gap
/// between the two temperatures keeps it from oscillating. Fewer frames means less inference, which is most of the heat.
/// </summary>
public sealed class ThermalGovernor(Func<ThermalOptions> options, TimeProvider time, ILogger logger)
{
    /// <summary>Governed by the thermal options of the config in effect.</summary>
    public ThermalGovernor(Microsoft.Extensions.Options.IOptionsMonitor<ThermalOptions> options, TimeProvider time, ILoggerFactory loggers)
        : this(() => options.CurrentValue, time, loggers.CreateLogger(LogCategories.Health))
    {
    }

    private long? _changedAt;
    private bool _warnedNoSensor;

    /// <summary>Steps taken down from the full rate (0 = not throttled).</summary>
    public int Level { get; private set; }

    /// <summary>The temperature last read, or null when throttling is off or no zone matched.</summary>
    public double? Celsius { get; private set; }

    /// <summary>The zone <see cref="Celsius"/> came from.</summary>
    public string? Zone { get; private set; }

    /// <summary>Sampling rate now, in percent of each camera's full rate.</summary>
    public int Percent => PercentAt(options(), Level);

    /// <summary>The rate at <paramref name="level"/> steps down.</summary>
    public static int PercentAt(ThermalOptions o, int level) => Math.Max(o.MinPercent, 100 - level * o.StepPercent);

    private static int MaxLevel(ThermalOptions o) => (int)Math.Ceiling((100.0 - o.MinPercent) / o.StepPercent);

    /// <summary>Takes one reading into account; returns true when the level changed.</summary>
    public bool Step(IReadOnlyList<ThermalReading> readings)
    {
        var o = options();
        if (o.ThrottleCelsius <= 0)
        {
            Celsius = null;
            Zone = null;
            return SetLevel(0, null);
        }
        var reading = o.Zone is { Length: > 0 } wanted
            ? readings.FirstOrDefault(r => string.Equals(r.Zone, wanted, StringComparison.OrdinalIgnoreCase) || string.Equals(r.Type, wanted, StringComparison.OrdinalIgnoreCase))
            : readings.MaxBy(r => r.Celsius);
        if (reading is null)
        {
            // Keep the current level: a sensor that vanished says nothing about whether the SoC cooled down.
            if (!_warnedNoSensor) Log.ThermalNoSensor(logger, o.SysfsRoot, o.Zone is null ? "readable thermal zone" : $"zone '{o.Zone}'");
            _warnedNoSensor = true;
            Celsius = null;
            return false;
        }
        Celsius = reading.Celsius;
        Zone = reading.Type is { Length: > 0 } type ? $"{reading.Zone} {type}" : reading.Zone;
        double resume = o.ResumeCelsius > 0 ? o.ResumeCelsius : o.ThrottleCelsius - 5;
        bool held = _changedAt is not { } at || time.GetElapsedTime(at).TotalSeconds >= o.HoldSeconds;
        if (!held) return false;
        if (reading.Celsius >= o.ThrottleCelsius && Level < MaxLevel(o)) return SetLevel(Level + 1, reading.Celsius);
        if (reading.Celsius <= resume && Level > 0) return SetLevel(Level - 1, reading.Celsius);
        return false;
    }

    private bool SetLevel(int level, double? celsius)
    {
        if (level == Level) return false;
        bool up = level > Level;
        Level = level;
        _changedAt = time.GetTimestamp();
        if (up) Log.ThermalThrottled(logger, celsius ?? 0, Zone ?? "-", Percent, level);
        else Log.ThermalRestored(logger, celsius ?? 0, Zone ?? "-", Percent, level);
        return true;
    }

    /// <summary>
    /// Every camera's sampling rate at the current level (idempotent; gates rebuilt by a config change are caught up
    /// at the next poll).
    /// </summary>
    public Dictionary<string, double> Targets(PipelineStatus status, DeviceConfig config)
    {
        var measured = status.Cameras.ToDictionary(c => c.Id, c => c.Capture.MeasuredFps, StringComparer.Ordinal);
        var targets = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var camera in config.Cameras)
            if (measured.TryGetValue(camera.Id, out double fps)) targets[camera.Id] = TargetFps(camera.Fps, fps);
        return targets;
    }

    /// <summary>
    /// One camera's rate: the configured fps when not throttled; otherwise the percentage of the configured fps, or
    /// of the measured camera rate when the camera is configured to pass every frame (fps 0).
    /// </summary>
    public double TargetFps(double configuredFps, double measuredFps)
    {
        double full = configuredFps > 0 ? configuredFps : measuredFps;
        return Level == 0 || full <= 0 ? configuredFps : Math.Max(0.5, Math.Round(full * Percent / 100.0, 2));
    }
}

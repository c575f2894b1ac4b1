using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Gate;
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

    /// <summary>Sets every camera's gate to its rate at the current level (idempotent; gates rebuilt by a config change are caught up).</summary>
    public void Apply(CountingPipeline? pipeline, DeviceConfig config)
    {
        if (pipeline is null) return;
        var measured = pipeline.CameraStatus().ToDictionary(c => c.Id, c => c.MeasuredFps, StringComparer.Ordinal);
        foreach (var camera in config.Cameras)
            if (pipeline.Gates.TryGetValue(camera.Id, out var gate))
                ApplyTo(gate, camera.Fps, measured.GetValueOrDefault(camera.Id));
    }

    /// <summary>
    /// Sets one gate: the configured fps when not throttled; otherwise the percentage of the configured fps, or of
    /// the measured camera rate when the camera is configured to pass every frame (fps 0).
    /// </summary>
    public void ApplyTo(FrameGate gate, double configuredFps, double measuredFps)
    {
        double full = configuredFps > 0 ? configuredFps : measuredFps;
        double target = Level == 0 || full <= 0 ? configuredFps : Math.Max(0.5, Math.Round(full * Percent / 100.0, 2));
        if (gate.Fps != target) gate.Fps = target;
    }
}

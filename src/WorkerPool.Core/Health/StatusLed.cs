using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Diagnostics;

namespace WorkerPool.Health;

/// <summary>What the status LED shows.</summary>
public enum LedPattern
{
    /// <summary>Dark: the service is not running.</summary>
    Off,
    /// <summary>Steady: online and counting.</summary>
    On,
    /// <summary>1 Hz: counting but offline, records buffering in the outbox.</summary>
    SlowBlink,
    /// <summary>4 Hz: an error (pipeline unhealthy, a camera down, the outbox failing).</summary>
    FastBlink,
}

/// <summary>One output line that lights an LED.</summary>
public interface ILedLine : IDisposable
{
    /// <summary>Lights (true) or darkens the LED.</summary>
    void Write(bool lit);
}

/// <summary>
/// Drives the status LED: <see cref="Choose"/> picks the pattern, <see cref="Tick"/> (every <see cref="TickInterval"/>)
/// turns it into on/off and writes the line only when that changes.
/// </summary>
public sealed class StatusLed(ILedLine? line, TimeProvider time, ILogger? logger = null) : IDisposable
{
    /// <summary>Resolution of the blink patterns (the fast blink toggles every tick).</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(125);

    private readonly long _start = time.GetTimestamp();
    private bool? _lit;

    /// <summary>The pattern shown now.</summary>
    public LedPattern Pattern { get; set; } = LedPattern.Off;

    /// <summary>False when there is no LED (none configured, or no GPIO chip): everything is a no-op.</summary>
    public bool Present => line is not null;

    /// <summary>The pattern for a health verdict, the broker connection and the outbox state; errors win over offline.</summary>
    public static LedPattern Choose(HealthState health, bool online, bool outboxFailing) =>
        health is HealthState.Unhealthy or HealthState.Degraded || outboxFailing ? LedPattern.FastBlink
        : !online ? LedPattern.SlowBlink
        : LedPattern.On;

    /// <summary>Whether <paramref name="pattern"/> is lit <paramref name="elapsed"/> after the LED started.</summary>
    public static bool IsLit(LedPattern pattern, TimeSpan elapsed)
    {
        long tick = (long)(elapsed / TickInterval);
        return pattern switch
        {
            LedPattern.On => true,
            LedPattern.SlowBlink => tick % 8 < 4, // 500 ms on, 500 ms off
            LedPattern.FastBlink => tick % 2 == 0, // 125 ms on, 125 ms off
            _ => false,
        };
    }

    /// <summary>Updates the line for the current time. A line that fails to write (unplugged, taken away) turns the LED off for good, with one log line.</summary>
    public void Tick()
    {
        if (line is null) return;
        bool lit = IsLit(Pattern, time.GetElapsedTime(_start));
        if (_lit == lit) return;
        try
        {
            line.Write(lit);
            _lit = lit;
        }
        catch (Exception ex)
        {
            // An LED is never worth stopping the counting for.
            if (logger is not null) Log.StatusLedFailed(logger, ex.Message);
            try { line.Dispose(); } catch (Exception) { }
            line = null;
        }
    }

    /// <summary>Darkens the LED and releases the line.</summary>
    public void Dispose()
    {
        if (line is null) return;
        try { line.Write(false); }
        catch (Exception) { } // best effort: the process is going away
        finally { line.Dispose(); }
    }

    /// <summary>
    /// Opens the configured line, or returns an LED that is absent (with one log line saying why) when it is
    /// disabled, the board has no such GPIO chip, or the line cannot be opened. Never throws.
    /// </summary>
    public static StatusLed Open(StatusLedOptions options, TimeProvider time, ILogger logger, string devRoot = "/dev")
    {
        if (!options.Enabled) return new StatusLed(null, time);
        string chip = Path.Combine(devRoot, $"gpiochip{options.Chip}");
        if (!File.Exists(chip) && !Directory.Exists(chip))
        {
            Log.StatusLedUnavailable(logger, options.Chip, options.Line, $"{chip} does not exist (no GPIO chip on this board)");
            return new StatusLed(null, time);
        }
        try
        {
            var led = new StatusLed(new GpioLedLine(options), time, logger);
            Log.StatusLedReady(logger, options.Chip, options.Line);
            return led;
        }
        catch (Exception ex)
        {
            // libgpiod missing, no permission, line busy or absent: an optional LED, so one line and no LED.
            Log.StatusLedUnavailable(logger, options.Chip, options.Line, ex.Message);
            return new StatusLed(null, time);
        }
    }
}

/// <summary>An LED on a GPIO line through libgpiod (System.Device.Gpio).</summary>
internal sealed class GpioLedLine : ILedLine
{
    private readonly GpioController _controller;
    private readonly int _line;
    private readonly bool _activeLow;

    public GpioLedLine(StatusLedOptions options)
    {
        _line = options.Line;
        _activeLow = options.ActiveLow;
        _controller = new GpioController(new LibGpiodDriver(options.Chip));
        try { _controller.OpenPin(_line, PinMode.Output, _activeLow ? PinValue.High : PinValue.Low); }
        catch
        {
            _controller.Dispose();
            throw;
        }
    }

    public void Write(bool lit) => _controller.Write(_line, lit != _activeLow ? PinValue.High : PinValue.Low);

    public void Dispose() => _controller.Dispose();
}

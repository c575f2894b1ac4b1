using System.Globalization;

namespace WorkerPool.Diagnostics;

/// <summary>One thermal zone reading.</summary>
public sealed record ThermalReading(string Zone, string Type, double Celsius);

/// <summary>
/// Host readings for the heartbeat, straight from Linux: load from /proc/loadavg, temperatures from
/// /sys/class/thermal (zones that are absent or unreadable are left out, never faked), free disk via statvfs.
/// </summary>
public sealed class SystemMetrics(string thermalRoot = "/sys/class/thermal", string procRoot = "/proc")
{
    /// <summary>1-minute load average, or null where /proc/loadavg is missing.</summary>
    public double? Load1()
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(procRoot, "loadavg"));
            return double.TryParse(text.Split(' ', 2)[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Every readable thermal zone, in zone order.</summary>
    public IReadOnlyList<ThermalReading> Temperatures()
    {
        var list = new List<ThermalReading>();
        if (!Directory.Exists(thermalRoot)) return list;
        foreach (var dir in Directory.GetDirectories(thermalRoot, "thermal_zone*").Order(StringComparer.Ordinal))
        {
            try
            {
                string raw = File.ReadAllText(Path.Combine(dir, "temp")).Trim();
                if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out long milli)) continue;
                string typeFile = Path.Combine(dir, "type");
                string type = File.Exists(typeFile) ? File.ReadAllText(typeFile).Trim() : "";
                list.Add(new ThermalReading(Path.GetFileName(dir), type, Math.Round(milli / 1000.0, 1)));
            }
            catch (IOException) { } // a zone that errors on read (some SoCs do when a sensor is off) is left out
            catch (UnauthorizedAccessException) { }
        }
        return list;
    }

    /// <summary>Free bytes for unprivileged users on the file system holding <paramref name="path"/>, or null.</summary>
    public static long? DiskFree(string path)
    {
        try
        {
            string dir = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
            return new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException) { return null; }
    }
}

using System.Globalization;

namespace WorkerPool.Testing;

/// <summary>A fake <c>/sys/class/thermal</c> tree: one directory per zone holding its <c>type</c> and <c>temp</c> (millidegrees).</summary>
public static class FakeThermalZones
{
    /// <summary>
    /// Writes one zone under <paramref name="root"/>; a null type or temp leaves that file out. Each file is
    /// replaced whole (written aside, then renamed), so a running service never reads half a value.
    /// </summary>
    public static void Write(string root, string zone, string? type, string? temp)
    {
        string dir = Path.Combine(root, zone);
        Directory.CreateDirectory(dir);
        if (type is not null) Replace(Path.Combine(dir, "type"), type);
        if (temp is not null) Replace(Path.Combine(dir, "temp"), temp);
    }

    /// <summary>Writes one zone at <paramref name="celsius"/> degrees.</summary>
    public static void Write(string root, string zone, string type, double celsius) =>
        Write(root, zone, type, ((long)(celsius * 1000)).ToString(CultureInfo.InvariantCulture));

    private static void Replace(string path, string value)
    {
        File.WriteAllText(path + ".tmp", value + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

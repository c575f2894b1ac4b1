using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WorkerPool.Bench;

/// <summary>What every benchmark needs: medians, the machine's name, the checkout, a throwaway local Mosquitto.</summary>
internal static class BenchSupport
{
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static string Join(IEnumerable<double> values, string format = "0.0") =>
        string.Join(" / ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));

    public static string Machine()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException) { return "unknown CPU"; }
    }

    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "WorkerPool.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts Mosquitto on a free loopback port with its config in <paramref name="dir"/>; returns the process and port.</summary>
    public static async Task<(Process Broker, int Port)> StartBrokerAsync(string dir)
    {
        int port = FreePort();
        File.WriteAllText(Path.Combine(dir, "mosquitto.conf"), $"listener {port} 127.0.0.1\nallow_anonymous true\nuser {Environment.UserName}\nmax_queued_messages 0\n");
        var broker = Process.Start(new ProcessStartInfo("mosquitto", ["-c", Path.Combine(dir, "mosquitto.conf")]) { RedirectStandardError = true })!;
        await Task.Delay(500);
        return (broker, port);
    }
}

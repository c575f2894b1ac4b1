using System.Diagnostics;
using System.Net.Sockets;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>
/// A real Mosquitto (Debian's package) on a free 127.0.0.1 port with its own config and data dir, persistent so a
/// stop/start keeps sessions. Optional password file and TLS listener. Stopped and removed at dispose.
/// </summary>
public sealed class MosquittoBroker : IDisposable
{
    private readonly TempDir _dir = new();
    private Process? _process;

    public MosquittoBroker(string? user = null, string? password = null, TlsFiles? tls = null)
    {
        Port = RtspServer.FreePort();
        var conf = new List<string>
        {
            $"listener {Port} 127.0.0.1",
            $"user {Environment.UserName}",
            "persistence true",
            $"persistence_location {_dir.Path}/",
            $"log_dest file {_dir.File("mosquitto.log")}",
            "log_type all",
        };
        if (user is not null)
        {
            Run("mosquitto_passwd", "-b", "-c", _dir.File("passwd"), user, password!);
            conf.Add("allow_anonymous false");
            conf.Add($"password_file {_dir.File("passwd")}");
        }
        else conf.Add("allow_anonymous true");
        if (tls is not null)
        {
            conf.Add($"cafile {tls.Ca}");
            conf.Add($"certfile {tls.ServerCert}");
            conf.Add($"keyfile {tls.ServerKey}");
        }
        File.WriteAllLines(_dir.File("mosquitto.conf"), conf);
    }

    public int Port { get; }

    /// <summary>A broker from a whole config text (the port is given to it), e.g. the shipped TLS example.</summary>
    public static MosquittoBroker FromConfig(Func<int, string> config)
    {
        var broker = new MosquittoBroker();
        File.WriteAllText(broker._dir.File("mosquitto.conf"), config(broker.Port) + $"\nuser {Environment.UserName}\nlog_dest file {broker._dir.File("mosquitto.log")}\n");
        return broker;
    }

    public string LogText => File.Exists(_dir.File("mosquitto.log")) ? File.ReadAllText(_dir.File("mosquitto.log")) : "";

    public MosquittoBroker Start()
    {
        _process = Process.Start(new ProcessStartInfo("mosquitto") { ArgumentList = { "-c", _dir.File("mosquitto.conf") }, RedirectStandardError = true, RedirectStandardOutput = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect("127.0.0.1", Port);
                return this;
            }
            catch (SocketException) { Thread.Sleep(50); }
            if (_process.HasExited) break;
        }
        throw new InvalidOperationException($"mosquitto did not start on {Port}: {_process.StandardError.ReadToEnd()} {LogText}");
    }

    /// <summary>Stops the broker cleanly (SIGTERM: it saves its persistent sessions).</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            Run("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }
        _process.Dispose();
        _process = null;
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        if (!p.WaitForExit(20_000) || p.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {p.StandardError.ReadToEnd()}");
    }

    public void Dispose()
    {
        Stop();
        _dir.Dispose();
    }
}

/// <summary>A throwaway CA and a broker certificate for a given DNS name, made with openssl.</summary>
public sealed class TlsFiles : IDisposable
{
    private readonly TempDir _dir = new();

    public TlsFiles(string serverName)
    {
        Ca = _dir.File("ca.crt");
        ServerCert = _dir.File("server.crt");
        ServerKey = _dir.File("server.key");
        string caKey = _dir.File("ca.key"), csr = _dir.File("server.csr"), ext = _dir.File("ext.cnf");
        Openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=WorkerPool Test CA", "-keyout", caKey, "-out", Ca);
        Openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", $"/CN={serverName}", "-keyout", ServerKey, "-out", csr);
        File.WriteAllText(ext, $"subjectAltName=DNS:{serverName}\n");
        Openssl("x509", "-req", "-in", csr, "-CA", Ca, "-CAkey", caKey, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", ServerCert);
    }

    public string Ca { get; }
    public string ServerCert { get; }
    public string ServerKey { get; }

    private static void Openssl(params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string err = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(20_000) || p.ExitCode != 0) throw new InvalidOperationException("openssl failed: " + err);
    }

    public void Dispose() => _dir.Dispose();
}

using System.Diagnostics;
using Npgsql;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster (Debian's server): <c>initdb</c> in a temp dir, on a free 127.0.0.1 port, run as an
/// unprivileged user (the <c>postgres</c> account when the tests run as root, else the current user), trust
/// authentication on loopback only. Stop/Start keep the data, as a real outage would. Removed at dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _bin, _data, _sockets;
    private readonly string? _runAs;
    private readonly string[] _settings;
    private Process? _process;

    /// <param name="settings">Server settings (<c>name=value</c>) given after the defaults, which they override
    /// (a benchmark turns fsync back on).</param>
    public PostgresServer(params string[] settings)
    {
        _settings = settings;
        _bin = FindBin();
        Port = RtspServer.FreePort();
        _data = Path.Combine(_dir.Path, "data");
        _sockets = Path.Combine(_dir.Path, "sockets");
        Directory.CreateDirectory(_sockets);
        _runAs = Environment.UserName == "root" ? "postgres" : null;
        if (_runAs is not null) Run("chown", _runAs, _sockets);
        Directory.CreateDirectory(_data);
        if (_runAs is not null) Run("chown", _runAs, _data);
        Run(Unprivileged(Path.Combine(_bin, "initdb"), "-D", _data, "-U", "fleet", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"));
    }

    public int Port { get; }

    /// <summary>The postmaster's process id while it runs (its backends are its children).</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>An Npgsql connection string to database <paramref name="database"/>.</summary>
    public string ConnectionString(string database = "fleet") => $"Host=127.0.0.1;Port={Port};Username=fleet;Database={database};Timeout=5;Command Timeout=60";

    /// <summary>True when Debian's PostgreSQL server is installed (deploy-scripts/install-deps.sh test installs it).</summary>
    public static bool Available => TryFindBin() is not null;

    public async Task<PostgresServer> StartAsync(bool createDatabase = true)
    {
        string[] args = ["-D", _data, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _sockets,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200", .. _settings.SelectMany(s => new[] { "-c", s })];
        var command = Unprivileged(Path.Combine(_bin, "postgres"), args);
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        _process = Process.Start(info)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
                await connection.OpenAsync();
                if (createDatabase)
                {
                    await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = 'fleet'", connection);
                    if (await exists.ExecuteScalarAsync() is null)
                    {
                        await using var create = new NpgsqlCommand("CREATE DATABASE fleet", connection);
                        await create.ExecuteNonQueryAsync();
                    }
                }
                return this;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException && DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Stops the server (fast shutdown: open connections are cut, data kept).</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            Run("kill", "-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!_process.WaitForExit(30_000)) _process.Kill();
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Runs one SQL command and returns the first column of the first row.</summary>
    public async Task<object?> ScalarAsync(string sql, string database = "fleet")
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private string[] Unprivileged(string file, params string[] args) =>
        _runAs is null ? [file, .. args] : ["setpriv", "--reuid", _runAs, "--regid", _runAs, "--clear-groups", "--", file, .. args];

    private static string FindBin() => TryFindBin() ?? throw new InvalidOperationException("PostgreSQL's server (initdb) is not installed: deploy-scripts/install-deps.sh test installs it");

    private static string? TryFindBin()
    {
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var best = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "bin", "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out int v) ? v : 0).FirstOrDefault();
            if (best is not null) return Path.Combine(best, "bin");
        }
        return null;
    }

    private static void Run(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string err = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(60_000) || p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', command)} failed: {err}");
    }

    private static void Run(string file, params string[] args) => Run([file, .. args]);

    public ValueTask DisposeAsync()
    {
        Stop();
        _dir.Dispose();
        return default;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>The real host started through deploy-scripts/workerpool as a child process, with its output captured.</summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new(), _stderr = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _stdout.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _stderr.Enqueue(e.Data); };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _exited.TrySetResult();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static HostProcess Start(params string[] args) => StartFile(Repo.HostScript, null, args);

    /// <summary>Starts <paramref name="file"/> (the script, or a published binary) with extra environment variables.</summary>
    public static HostProcess StartFile(string file, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo.Root,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        return new HostProcess(Process.Start(info)!);
    }

    /// <summary>Runs to completion (bounded) and returns exit code and output.</summary>
    public static Task<(int Code, string[] Stdout, string[] Stderr)> RunAsync(TimeSpan timeout, params string[] args) =>
        RunFileAsync(Repo.HostScript, null, timeout, args);

    /// <summary>Runs <paramref name="file"/> to completion (bounded) and returns exit code and output.</summary>
    public static async Task<(int Code, string[] Stdout, string[] Stderr)> RunFileAsync(string file, IReadOnlyDictionary<string, string>? environment,
        TimeSpan timeout, params string[] args)
    {
        await using var host = StartFile(file, environment, args);
        int code = await host.WaitForExitAsync(timeout);
        return (code, host.Stdout, host.Stderr);
    }

    public string[] Stdout => [.. _stdout];

    public string[] Stderr => [.. _stderr];

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try { await _exited.Task.WaitAsync(timeout); }
        catch (TimeoutException) { throw new TimeoutException($"host did not exit within {timeout}; stderr tail:\n{Tail()}"); }
        _process.WaitForExit(); // flush the redirected streams
        return _process.ExitCode;
    }

    /// <summary>Waits (bounded) until a stderr line contains <paramref name="text"/>.</summary>
    public async Task<string> WaitForStderrAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var hit = _stderr.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (hit is not null) return hit;
            if (_process.HasExited) break;
            await Task.Delay(100);
        }
        throw new TimeoutException($"no stderr line with '{text}' within {timeout}; stderr tail:\n{Tail()}");
    }

    /// <summary>How many stderr lines contain <paramref name="text"/> so far.</summary>
    public int Count(string text) => _stderr.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits (bounded) until at least <paramref name="atLeast"/> stderr lines contain <paramref name="text"/>; returns the count.</summary>
    public async Task<int> WaitForCountAsync(string text, int atLeast, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Count(text) < atLeast && DateTime.UtcNow < deadline && !_process.HasExited) await Task.Delay(100);
        return Count(text);
    }

    /// <summary>Sends a signal to the host (dotnet runs it as this process: the script execs).</summary>
    public void Signal(int signal) => _ = kill(_process.Id, signal);

    public string Tail() => string.Join("\n", _stderr.TakeLast(20));

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Reflection;
using WorkerPool.Commands;
using WorkerPool.Control;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using Microsoft.Extensions.Hosting.Systemd;
using WorkerPool.Diagnostics;
using WorkerPool.Health;
using WorkerPool.Messaging;
using WorkerPool.Outbox;
using WorkerPool.Pipeline;
using WorkerPool.RemoteConfig;
using WorkerPool.Software;

namespace WorkerPool.Host;

/// <summary><c>run --config FILE</c>: the service under the generic host (systemd-aware).</summary>
internal static class RunCommand
{
    /// <summary>The product version (informational version without the build metadata).</summary>
    public static string Version() => FullVersion().Split('+')[0];

    /// <summary>
    /// The informational version with its build metadata (<c>0.1.0+1a2b3c4</c>): names a release directory.
    /// <c>WORKERPOOL_TEST_VERSION</c> replaces it, for the deploy tests only: their stand-in releases run this one
    /// build under several release names (docs/DEVELOPING.md).
    /// </summary>
    public static string FullVersion() =>
        Environment.GetEnvironmentVariable("WORKERPOOL_TEST_VERSION") is { Length: > 0 } test ? test
            : typeof(RunCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>
    /// The config <c>run</c> starts with: the file plus the remote changes persisted beside the outbox. When those no
    /// longer validate (a model removed, a core gone) the file alone is used rather than failing at every boot; the
    /// fleet then sees a configVersion of <c>0:…</c> and <paramref name="notice"/> says why. <paramref name="readOnly"/> leaves
    /// the persisted state where it is (for <c>check</c>).
    /// </summary>
    public static (DeviceConfig Config, DesiredConfigProcessor Remote) LoadEffective(FileInfo configFile, out string? notice, bool readOnly = false)
    {
        var file = ConfigLoader.Load(configFile.FullName);
        var remote = new DesiredConfigProcessor(file, Path.Combine(file.DataDirectory, "remote-config.json"), file.Mqtt.MaxPayloadBytes);
        notice = null;
        if (remote.AppliedVersion > 0 && DeviceConfigValidator.Validate(remote.Effective) is { Count: > 0 } broken)
        {
            notice = $"Remote config version {remote.AppliedVersion} no longer validates ({string.Join("; ", broken)}); starting from the device-config file alone";
            if (readOnly) return (file, remote);
            remote.DiscardApplied();
        }
        return (remote.Effective, remote);
    }

    public static async Task<int> ExecuteAsync(FileInfo configFile, CancellationToken token)
    {
        if (NativeLibraries.Probe() is { } nativeError)
        {
            await Console.Error.WriteLineAsync(nativeError).ConfigureAwait(false);
            return ExitCodes.NativeLibraryMissing;
        }
        DeviceConfig config;
        DesiredConfigProcessor remote;
        try
        {
            (config, remote) = LoadEffective(configFile, out string? notice);
            if (notice is not null) await Console.Error.WriteLineAsync(notice).ConfigureAwait(false);
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.InvalidConfig;
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        Logging.Configure(builder.Logging);
        // The service's own log tail for get-logs, under the same filters as the console.
        builder.Logging.AddLogTail();
        // Type=notify by NOTIFY_SOCKET, not by AddSystemd()'s guess: it looks for systemd as PID 1 in /proc, which
        // the unit's ProtectProc=invisible hides, so READY=1 never went out and systemd held the unit in "activating"
        // until TimeoutStartSec killed it (docs/SYSTEMD-SMOKE.md). systemd sets NOTIFY_SOCKET exactly when it waits for one.
        if (Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
        {
            builder.Services.AddSingleton<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier, Microsoft.Extensions.Hosting.Systemd.SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Systemd.SystemdLifetime>();
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new BuildInfo(Version(), FullVersion()));
        // Hosted services start in this order and stop in reverse: MQTT, then the pipeline (its last window goes to
        // the outbox before MQTT stops), then thermal and health (the health file says "stopped" first).
        builder.Services
            .AddDeviceConfig(config)
            .AddOutbox()
            .AddMessaging(config.Mqtt.Enabled)
            .AddRemoteConfig(remote)
            .AddCommands()
            .AddSoftwareUpdates()
            .AddDeviceControl()
            .AddHealth();

        using var host = builder.Build();
        try
        {
            await host.RunAsync(token).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, ex.Failures.Select(f => "  " + f))).ConfigureAwait(false);
            return ExitCodes.InvalidConfig;
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.InvalidConfig;
        }
    }
}

/// <summary>
/// One console log format for every command: single line, UTC time, on stderr so stdout stays for results. Under
/// systemd with the journal attached (JOURNAL_STREAM set) lines carry syslog priority prefixes instead of
/// timestamps, so <c>journalctl -p warning</c> works and times are not doubled.
/// </summary>
internal static class Logging
{
    public static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        var (levels, errors) = LogLevelOverrides.Parse(Environment.GetEnvironmentVariable(LogLevelOverrides.Variable));
        foreach (var (category, level) in levels) logging.AddFilter(category, level);
        foreach (string error in errors) Console.Error.WriteLine(error);
        if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 })
            logging.AddSystemdConsole(o => o.UseUtcTimestamp = true);
        else
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Reflection;
using WorkerPool.Commands;
using WorkerPool.Config;
using Microsoft.Extensions.Hosting.Systemd;
using WorkerPool.Diagnostics;
using WorkerPool.Health;
using WorkerPool.Messaging;
using WorkerPool.Outbox;
using WorkerPool.Pipeline;
using WorkerPool.RemoteConfig;

namespace WorkerPool.Host;

/// <summary><c>run --config FILE</c>: the service under the generic host (systemd-aware).</summary>
internal static class RunCommand
{
    /// <summary>The fleet key, or null when none is set or it does not parse (the validator then names the error).</summary>
    private static FleetSignature? FleetKey(DeviceConfig config)
    {
        if (config.Security?.FleetPublicKey is not { Length: > 0 } pem) return null;
        try { return FleetSignature.FromPublicKeyPem(pem); }
        catch (ArgumentException) { return null; }
    }

    /// <summary>The product version (informational version without the build metadata).</summary>
    public static string Version() => FullVersion().Split('+')[0];

    /// <summary>The informational version with its build metadata (<c>0.1.0+1a2b3c4</c>): names a release directory.</summary>
    public static string FullVersion() =>
        typeof(RunCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>
    /// The config <c>run</c> starts with: the file plus the remote changes persisted beside the outbox. When those no
    /// longer validate (a model removed, a core gone) the file alone is used rather than failing at every boot; the
    /// fleet then sees configVersion 0 and <paramref name="notice"/> says why. <paramref name="readOnly"/> leaves
    /// the persisted state where it is (for <c>check</c>).
    /// </summary>
    public static (DeviceConfig Config, DesiredConfigProcessor Remote) LoadEffective(FileInfo configFile, out string? notice, bool readOnly = false)
    {
        var file = ConfigLoader.Load(configFile.FullName);
        var remote = new DesiredConfigProcessor(file, Path.Combine(file.DataDirectory, "remote-config.json"), FleetKey(file), file.Mqtt.MaxPayloadBytes);
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
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IValidateOptions<DeviceConfig>, DeviceConfigValidator>();
        builder.Services.AddOptions<DeviceConfig>().Configure(config.CopyTo).ValidateOnStart();
        string version = Version();
        string ConfigVersion() => $"{remote.AppliedVersion}:{remote.EffectiveHash[..12]}";
        builder.Services.AddSingleton<SystemMetrics>();
        builder.Services.AddSingleton(sp => CountOutbox.Open(config.ResolvePath(config.Outbox.Path), config.Outbox,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Outbox")));
        builder.Services.AddSingleton<ICountSink, OutboxCountSink>();
        builder.Services.AddSingleton<PipelineService>();
        builder.Services.AddSingleton(sp => new MqttConnection(config.Mqtt, config.DeviceId, version,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Mqtt")));
        builder.Services.AddSingleton(sp => new OutboxPublisher(sp.GetRequiredService<CountOutbox>(), sp.GetRequiredService<MqttConnection>(),
            config.Mqtt.BatchSize, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Mqtt")));
        builder.Services.AddSingleton(sp => new HeartbeatPublisher(config, sp.GetRequiredService<MqttConnection>(), sp.GetRequiredService<CountOutbox>(),
            sp.GetRequiredService<OutboxPublisher>(), sp.GetRequiredService<PipelineService>(), sp.GetRequiredService<SystemMetrics>(), version, ConfigVersion,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Mqtt"),
            sp.GetRequiredService<HealthMonitor>(), sp.GetRequiredService<ThermalGovernor>()));
        builder.Services.AddSingleton(remote);
        builder.Services.AddSingleton(sp => new RemoteConfigService(sp.GetRequiredService<MqttConnection>(), remote,
            sp.GetRequiredService<PipelineService>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.RemoteConfig")));
        builder.Services.AddSingleton(sp => new CommandService(sp.GetRequiredService<MqttConnection>(), remote, FleetKey(config), config.Mqtt.MaxPayloadBytes,
            sp.GetRequiredService<PipelineService>(), sp.GetRequiredService<OutboxPublisher>(), sp.GetRequiredService<CountOutbox>(),
            sp.GetRequiredService<HeartbeatPublisher>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Commands")));
        builder.Services.AddSingleton(sp => new HealthMonitor(() => sp.GetRequiredService<PipelineService>().Config.Health, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new ThermalGovernor(() => sp.GetRequiredService<PipelineService>().Config.Thermal,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Health")));
        builder.Services.AddSingleton(sp =>
        {
            var pipeline = sp.GetRequiredService<PipelineService>();
            var mqtt = sp.GetRequiredService<MqttConnection>();
            var outbox = sp.GetRequiredService<CountOutbox>();
            var time = sp.GetRequiredService<TimeProvider>();
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Health");
            PipelineSnapshot Snapshot()
            {
                var o = outbox.Stats();
                return PipelineSnapshot.Of(pipeline) with { OutboxError = o.LastError, OutboxStuckSeconds = o.StuckSeconds };
            }
            return new HealthService(sp.GetRequiredService<HealthMonitor>(), Snapshot,
                SystemdWatchdog.FromEnvironment(new SystemdNotifier()), StatusLed.Open(config.StatusLed, time, logger),
                () => !config.Mqtt.Enabled || mqtt.IsConnected, () => outbox.Stats().LastError is not null,
                config.HealthFilePath, FullVersion(), time, logger);
        });
        // Hosted services stop in reverse order: health first (the file says "stopped"), then the pipeline (its last
        // window goes to the outbox), then MQTT.
        if (config.Mqtt.Enabled) builder.Services.AddHostedService<MqttService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineService>());
        builder.Services.AddHostedService(sp => new ThermalService(sp.GetRequiredService<ThermalGovernor>(), sp.GetRequiredService<PipelineService>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Health")));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HealthService>());

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

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Reflection;
using WorkerPool.Commands;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
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
    public static string Version() =>
        (typeof(RunCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    public static async Task<int> ExecuteAsync(FileInfo configFile, CancellationToken token)
    {
        DeviceConfig config;
        DesiredConfigProcessor remote;
        try
        {
            var file = ConfigLoader.Load(configFile.FullName);
            // Remote changes applied earlier are persisted beside the outbox and come back on top of the file.
            string state = Path.Combine(Path.GetDirectoryName(file.ResolvePath(file.Outbox.Path))!, "remote-config.json");
            remote = new DesiredConfigProcessor(file, state, FleetKey(file), file.Mqtt.MaxPayloadBytes);
            if (remote.AppliedVersion > 0 && DeviceConfigValidator.Validate(remote.Effective) is { Count: > 0 } broken)
            {
                // What was fine when applied no longer is (a model removed, a core gone): start from the file alone
                // rather than fail at every boot; the fleet sees configVersion 0 and the log says why.
                await Console.Error.WriteLineAsync($"Remote config version {remote.AppliedVersion} no longer validates ({string.Join("; ", broken)}); " +
                    "starting from the device-config file alone").ConfigureAwait(false);
                remote.DiscardApplied();
            }
            config = remote.Effective;
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
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Mqtt")));
        builder.Services.AddSingleton(remote);
        builder.Services.AddSingleton(sp => new RemoteConfigService(sp.GetRequiredService<MqttConnection>(), remote,
            sp.GetRequiredService<PipelineService>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.RemoteConfig")));
        builder.Services.AddSingleton(sp => new CommandService(sp.GetRequiredService<MqttConnection>(), remote, FleetKey(config), config.Mqtt.MaxPayloadBytes,
            sp.GetRequiredService<PipelineService>(), sp.GetRequiredService<OutboxPublisher>(), sp.GetRequiredService<CountOutbox>(),
            sp.GetRequiredService<HeartbeatPublisher>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WorkerPool.Commands")));
        // Hosted services stop in reverse order: the pipeline first (its last window goes to the outbox), then MQTT.
        if (config.Mqtt.Enabled) builder.Services.AddHostedService<MqttService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineService>());

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

/// <summary>One console log format for every command: single line, UTC time; stderr so stdout stays for results.</summary>
internal static class Logging
{
    public static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}

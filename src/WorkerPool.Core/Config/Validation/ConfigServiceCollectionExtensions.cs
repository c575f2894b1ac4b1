using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WorkerPool.Config;

namespace WorkerPool.Config.Validation;

/// <summary>Wiring of the device config.</summary>
public static class ConfigServiceCollectionExtensions
{
    /// <summary>
    /// The start-up config: as options validated at start (every error by path), and as itself for the settings read
    /// at start only (MQTT, outbox, security, status LED, health file). What changes live is read through the control surface.
    /// </summary>
    public static IServiceCollection AddDeviceConfig(this IServiceCollection services, DeviceConfig config)
    {
        services.AddSingleton<IValidateOptions<DeviceConfig>, DeviceConfigValidator>();
        services.AddOptions<DeviceConfig>().Configure(config.CopyTo).ValidateOnStart();
        services.AddSingleton(config);
        return services;
    }
}

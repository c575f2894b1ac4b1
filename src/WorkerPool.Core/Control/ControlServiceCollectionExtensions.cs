using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WorkerPool.Config;

namespace WorkerPool.Control;

/// <summary>Wiring of the control surface.</summary>
public static class ControlServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="DeviceControl"/>, as <see cref="IDeviceControl"/> for the control side and as a hosted service
    /// that starts the pipeline, and the pipeline's part of the heartbeat. Register it after MQTT: hosted services stop in reverse order, so the pipeline's
    /// last window is stored before MQTT sends what it can and goes offline.
    /// </summary>
    public static IServiceCollection AddDeviceControl(this IServiceCollection services)
    {
        services.AddSingleton<DeviceControl>();
        services.AddSingleton<IDeviceControl>(sp => sp.GetRequiredService<DeviceControl>());
        services.AddHostedService(sp => sp.GetRequiredService<DeviceControl>());
        services.AddSingleton<Diagnostics.IHeartbeatSection, PipelineHeartbeatSection>();
        // The sections that change live, for the features that follow them.
        services.AddLiveSection(c => c.Thermal);
        services.AddLiveSection(c => c.Health);
        services.AddLiveSection(c => c.Security ?? new SecurityOptions());
        return services;
    }

    /// <summary>Registers one section of the config in effect as <see cref="IOptionsMonitor{TOptions}"/>.</summary>
    private static void AddLiveSection<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(this IServiceCollection services, Func<DeviceConfig, T> section) where T : class =>
        services.AddSingleton<IOptionsMonitor<T>>(sp => new ConfigSectionMonitor<T>(sp.GetRequiredService<IDeviceControl>(), section));
}

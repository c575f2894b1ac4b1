using Microsoft.Extensions.DependencyInjection;

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
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;

namespace WorkerPool.Health;

/// <summary>Wiring of health and thermal throttling.</summary>
public static class HealthServiceCollectionExtensions
{
    /// <summary>
    /// The health monitor and loop (watchdog, LED, health file), the thermal governor and loop, and their parts of
    /// the heartbeat. Register it last: hosted services stop in reverse order, so the health file says "stopped" first.
    /// </summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddSingleton<HealthMonitor>();
        services.AddSingleton<ThermalGovernor>();
        services.AddHostedService<ThermalService>();
        services.AddSingleton<Diagnostics.IHeartbeatSection, HealthHeartbeatSection>();
        services.AddSingleton<Diagnostics.IHeartbeatSection, ThermalHeartbeatSection>();
        services.AddHostedService<HealthService>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;

namespace WorkerPool.Health;

/// <summary>Wiring of health and thermal throttling.</summary>
public static class HealthServiceCollectionExtensions
{
    /// <summary>
    /// The health monitor and loop (watchdog, LED, health file) and the thermal governor and loop. Register it last:
    /// hosted services stop in reverse order, so the health file says "stopped" first.
    /// </summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddSingleton<HealthMonitor>();
        services.AddSingleton<ThermalGovernor>();
        services.AddHostedService<ThermalService>();
        services.AddHostedService<HealthService>();
        return services;
    }
}

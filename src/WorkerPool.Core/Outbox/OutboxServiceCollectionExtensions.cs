using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>Wiring of the outbox.</summary>
public static class OutboxServiceCollectionExtensions
{
    /// <summary>
    /// The outbox at the config's path (opened, or quarantined and recreated when damaged), the pipeline's sink into
    /// it, and its part of the heartbeat.
    /// </summary>
    public static IServiceCollection AddOutbox(this IServiceCollection services)
    {
        services.TryAddSingleton<IHostClock>(LinuxHostClock.Instance);
        services.AddSingleton<CountOutbox>();
        services.AddSingleton<ICountSink, OutboxCountSink>();
        services.AddSingleton<IHeartbeatSection, OutboxHeartbeatSection>();
        return services;
    }
}

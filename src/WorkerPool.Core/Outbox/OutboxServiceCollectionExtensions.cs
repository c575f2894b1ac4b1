using WorkerPool.Counting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WorkerPool.Config;

namespace WorkerPool.Outbox;

/// <summary>Wiring of the outbox.</summary>
public static class OutboxServiceCollectionExtensions
{
    /// <summary>The outbox at the config's path (opened, or quarantined and recreated when damaged), and the pipeline's sink into it.</summary>
    public static IServiceCollection AddOutbox(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var config = sp.GetRequiredService<DeviceConfig>();
            return CountOutbox.Open(config.ResolvePath(config.Outbox.Path), config.Outbox, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger(Diagnostics.LogCategories.Outbox));
        });
        services.AddSingleton<ICountSink, OutboxCountSink>();
        return services;
    }
}

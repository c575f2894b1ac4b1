using Microsoft.Extensions.DependencyInjection;
using WorkerPool.Config;
using WorkerPool.Messaging;

namespace WorkerPool.RemoteConfig;

/// <summary>Wiring of remote configuration.</summary>
public static class RemoteConfigServiceCollectionExtensions
{
    /// <summary>The desired-config handler over <paramref name="processor"/> (the state loaded at start), which also names the config version (with whether configs are verified, the heartbeat's part of it).</summary>
    public static IServiceCollection AddRemoteConfig(this IServiceCollection services, DesiredConfigProcessor processor)
    {
        services.AddSingleton(processor);
        services.AddSingleton<IConfigVersion>(processor);
        services.AddSingleton<RemoteConfigService>();
        services.AddSingleton<Diagnostics.IHeartbeatSection, RemoteConfigHeartbeatSection>();
        services.AddSingleton<ITopicHandler>(sp => sp.GetRequiredService<RemoteConfigService>());
        return services;
    }
}

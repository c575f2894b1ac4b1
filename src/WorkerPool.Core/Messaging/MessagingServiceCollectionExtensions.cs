using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>Wiring of the MQTT side.</summary>
public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// The connection, the outbox publisher and the heartbeat; with <paramref name="enabled"/>, the hosted service that
    /// runs them (and subscribes every <see cref="ITopicHandler"/>).
    /// </summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, bool enabled)
    {
        services.AddSingleton<SystemMetrics>();
        services.TryAddSingleton<IHostClock>(LinuxHostClock.Instance);
        services.AddSingleton<MqttConnection>();
        services.AddSingleton<Health.IBrokerLink>(sp => sp.GetRequiredService<MqttConnection>());
        services.AddSingleton<OutboxPublisher>();
        services.AddSingleton<HeartbeatPublisher>();
        if (enabled) services.AddHostedService<MqttService>();
        return services;
    }
}

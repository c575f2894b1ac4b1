using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>Wiring of the MQTT side.</summary>
public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// The connection, the outbox publisher, and the heartbeat (its identity, system and clock sections, the assembler
    /// over every feature's <see cref="IHeartbeatSection"/>, and the publisher); with <paramref name="enabled"/>, the
    /// hosted service that runs them (and subscribes every <see cref="ITopicHandler"/>).
    /// </summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, bool enabled)
    {
        services.AddSingleton<SystemMetrics>();
        services.TryAddSingleton<IHostClock>(LinuxHostClock.Instance);
        services.AddSingleton<MqttConnection>();
        services.AddSingleton<Health.IBrokerLink>(sp => sp.GetRequiredService<MqttConnection>());
        services.AddSingleton<IMqttPublisher>(sp => sp.GetRequiredService<MqttConnection>());
        services.AddSingleton<OutboxPublisher>();
        services.AddSingleton<IHeartbeatSection, MessagingHeartbeatSection>();
        services.AddSingleton<IHeartbeatSection, SystemHeartbeatSection>();
        services.AddSingleton<IHeartbeatSection, ClockHeartbeatSection>();
        services.AddSingleton<HeartbeatAssembler>();
        services.AddSingleton<HeartbeatPublisher>();
        if (enabled) services.AddHostedService<MqttService>();
        return services;
    }
}

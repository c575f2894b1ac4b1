using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;

namespace WorkerPool.Software;

/// <summary>Wiring of remote software updates.</summary>
public static class SoftwareServiceCollectionExtensions
{
    /// <summary>
    /// The desired-software handler, the update folder shared with the root helper, the state reporter and the
    /// heartbeat's part. Registered whether or not <c>updates.enabled</c> is set: a device with updates off still
    /// answers a rollout (refused, saying why) and reports its group, tags and software.
    /// </summary>
    public static IServiceCollection AddSoftwareUpdates(this IServiceCollection services)
    {
        services.AddSingleton(sp => new UpdateSpool(sp.GetRequiredService<DeviceConfig>().UpdateDirectory));
        services.AddSingleton(sp => new DesiredSoftware(sp.GetRequiredService<DeviceConfig>().DeviceId, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SoftwareStateReporter>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SoftwareStateReporter>());
        services.AddSingleton<SoftwareUpdateService>();
        services.AddSingleton<ITopicHandler>(sp => sp.GetRequiredService<SoftwareUpdateService>());
        services.AddSingleton<IHeartbeatSection, SoftwareHeartbeatSection>();
        return services;
    }
}

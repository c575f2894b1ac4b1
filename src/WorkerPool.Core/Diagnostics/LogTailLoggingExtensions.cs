using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace WorkerPool.Diagnostics;

/// <summary>Wiring of the in-memory <see cref="LogTail"/>.</summary>
public static class LogTailLoggingExtensions
{
    /// <summary>The one <see cref="LogTail"/> of the service; <c>get-logs</c> reads the same instance.</summary>
    public static IServiceCollection AddLogTailStore(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new LogTail(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }

    /// <summary>Logs into the <see cref="LogTail"/> too, under the same filters as the other providers.</summary>
    public static ILoggingBuilder AddLogTail(this ILoggingBuilder logging)
    {
        logging.Services.AddLogTailStore();
        logging.Services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<LogTail>());
        return logging;
    }
}

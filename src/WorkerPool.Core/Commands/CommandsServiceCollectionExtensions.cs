using Microsoft.Extensions.DependencyInjection;
using WorkerPool.Commands.Handlers;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;

namespace WorkerPool.Commands;

/// <summary>Wiring of remote commands.</summary>
public static class CommandsServiceCollectionExtensions
{
    /// <summary>The gate, the command service, and the table of handlers: one per command name.</summary>
    public static IServiceCollection AddCommands(this IServiceCollection services)
    {
        services.AddSingleton<CommandGate>();
        services.AddSingleton<ICommandHandler, PingCommand>();
        services.AddSingleton<ICommandHandler, GetConfigCommand>();
        services.AddSingleton<ICommandHandler, GetStatsCommand>();
        services.AddSingleton<ICommandHandler, SnapshotCommand>();
        services.AddSingleton<ICommandHandler, RestartCameraCommand>();
        services.AddSingleton<ICommandHandler, FlushOutboxCommand>();
        services.AddSingleton<ICommandHandler, ResendCommand>();
        services.AddLogTailStore();
        services.AddSingleton<ICommandHandler, GetLogsCommand>();
        services.AddSingleton<ICommandHandler, RollbackCommand>();
        services.AddSingleton<ICommandHandler, DecommissionCommand>();
        services.AddSingleton<ICommandHandler, RenewCertCommand>();
        services.AddSingleton<ICommandHandler, InstallCertCommand>();
        services.AddSingleton<CommandService>();
        services.AddSingleton<ITopicHandler>(sp => sp.GetRequiredService<CommandService>());
        return services;
    }
}

using System.CommandLine;
using WorkerPool.Fleet.Ingest;
using WorkerPool.Fleet.Operator;
using WorkerPool.Fleet.Provisioning;
using WorkerPool.Fleet.Report;
using WorkerPool.Fleet.Rollout;
using WorkerPool.Fleet.Serve;
using WorkerPool.Fleet.Simulate;

namespace WorkerPool.Fleet;

/// <summary>
/// <c>workerpool-fleet</c>'s verbs: the operator tools (<c>keygen</c>, <c>config</c>, <c>cmd</c>, <c>snapshot</c>), provisioning (<c>ca init</c>, <c>provision</c>), <c>rollout</c>, <c>ingest</c>,
/// <c>report</c>, <c>serve</c> and <c>simulate</c>.
/// </summary>
internal static class Cli
{
    public static RootCommand Build()
    {
        Option<string> Database() => new("--database") { Description = "Npgsql connection string, e.g. Host=127.0.0.1;Port=5432;Username=u;Database=fleet", Required = true };
        var root = new RootCommand("WorkerPool fleet side: operator tools, ingest into PostgreSQL, completeness report, simulator");
        foreach (var c in OperatorCommands.Build()) root.Subcommands.Add(c);
        root.Subcommands.Add(CaInitVerb.Build());
        root.Subcommands.Add(ProvisionVerb.Build());
        root.Subcommands.Add(RenewVerb.Build());
        root.Subcommands.Add(DecommissionVerb.Build());
        root.Subcommands.Add(IngestCommand.Build(Database()));
        root.Subcommands.Add(ReportCommand.Build(Database()));
        root.Subcommands.Add(ServeCommand.Build(Database()));
        root.Subcommands.Add(RolloutVerb.Build(Database()));
        root.Subcommands.Add(SimulateCommand.Build());
        return root;
    }
}

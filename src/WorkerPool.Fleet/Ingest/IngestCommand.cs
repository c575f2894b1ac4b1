using System.CommandLine;
using Microsoft.Extensions.Logging;
using WorkerPool.Fleet.Broker;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Ingest;

/// <summary><c>ingest</c>: counts, heartbeats, status and config reports from the broker into PostgreSQL, until SIGTERM/SIGINT.</summary>
internal static class IngestCommand
{
    public static Command Build(Option<string> database)
    {
        var broker = new BrokerArguments();
        var clientId = new Option<string?>("--client-id") { Description = "This instance's MQTT session: distinct per instance, stable across restarts (default: GROUP-HOSTNAME)" };
        var group = new Option<string>("--group") { Description = "Shared-subscription group the instances split the load in", DefaultValueFactory = _ => "workerpool-ingest" };
        var command = new Command("ingest", "Store every count record once in PostgreSQL, with device status and the completeness ledger") { database, clientId, group };
        broker.AddTo(command);
        command.SetAction(async (r, token) =>
        {
            string g = r.GetValue(group)!;
            var options = new IngestOptions(r.GetValue(clientId) ?? IngestOptions.DefaultClientId(g), g, r.GetValue(broker.Prefix)!);
            using var loggers = FleetLogging.Create();
            var logger = loggers.CreateLogger("WorkerPool.Fleet.Ingest");
            await using var store = await FleetStore.OpenAsync(r.GetValue(database)!, logger, token).ConfigureAwait(false);
            await using var ingest = new IngestService(broker.Endpoint(r), options, store, TimeProvider.System, loggers);
            await ingest.RunAsync(token).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using Microsoft.Extensions.Logging;
using WorkerPool.Fleet.Broker;
using WorkerPool.Fleet.Operator;
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
        var resendKey = new Option<FileInfo?>("--resend-key") { Description = "The ingest's own private key (PEM) to sign resend requests with (the devices' security.resendPublicKey); never the fleet key" };
        var grace = new Option<int>("--gap-grace-seconds") { Description = "Age of an unexplained gap before its records are asked for", DefaultValueFactory = _ => 30 };
        var interval = new Option<int>("--resend-interval-seconds") { Description = "Time before the same gap is asked for again", DefaultValueFactory = _ => 600 };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most messages written in one transaction (1 to 10000)", DefaultValueFactory = _ => 4000 };
        var receiveMaximum = new Option<int>("--receive-maximum") { Description = "Unacknowledged messages the broker may have in flight to this instance (MQTT 5 Receive Maximum, at least twice --max-batch; the broker's own in-flight limit must allow as many)", DefaultValueFactory = _ => 8000 };
        var command = new Command("ingest", "Store every count record once in PostgreSQL, with device status and the completeness ledger; ask devices for missing records")
        {
            database, clientId, group, resendKey, grace, interval, maxBatch, receiveMaximum,
        };
        broker.AddTo(command);
        command.SetAction(async (r, token) =>
        {
            string g = r.GetValue(group)!;
            var options = new IngestOptions(r.GetValue(clientId) ?? IngestOptions.DefaultClientId(g), g, r.GetValue(broker.Prefix)!)
            {
                GapGrace = TimeSpan.FromSeconds(Math.Max(0, r.GetValue(grace))),
                ResendInterval = TimeSpan.FromSeconds(Math.Max(1, r.GetValue(interval))),
                GapCheckInterval = TimeSpan.FromSeconds(Math.Clamp(r.GetValue(grace), 1, 10)),
                MaxBatch = Math.Clamp(r.GetValue(maxBatch), 1, 10_000),
                ReceiveMaximum = (ushort)Math.Clamp(r.GetValue(receiveMaximum), 1, ushort.MaxValue),
            };
            using var key = r.GetValue(resendKey) is { } file ? PemKeys.LoadPrivate(file) : null;
            using var loggers = FleetLogging.Create();
            var logger = loggers.CreateLogger("WorkerPool.Fleet.Ingest");
            await using var store = await FleetStore.OpenAsync(r.GetValue(database)!, logger, token).ConfigureAwait(false);
            await using var ingest = new IngestService(broker.Endpoint(r), options, store, key, TimeProvider.System, loggers);
            await ingest.RunAsync(token).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Report;

/// <summary><c>report</c>: the fleet's completeness, a line per camera and then one compact JSON object.</summary>
internal static class ReportCommand
{
    public static Command Build(Option<string> database)
    {
        var audit = new Option<bool>("--audit") { Description = "Recompute every camera's gaps from seq 1 over the stored rows (finds rows deleted behind the ingest's back)" };
        var command = new Command("report", "Print every camera's records, seq range and gaps; the last line is one JSON object") { database, audit };
        command.SetAction(async (r, token) =>
        {
            using var loggers = FleetLogging.Create();
            await using var store = await FleetStore.OpenAsync(r.GetValue(database)!, loggers.CreateLogger("WorkerPool.Fleet.Report"), token).ConfigureAwait(false);
            var report = await FleetReportQuery.ReadAsync(store, r.GetValue(audit), token).ConfigureAwait(false);
            foreach (var c in report.Cameras)
            {
                string gaps = c.Gaps.Count == 0 ? "no gaps" : string.Join(", ", c.Gaps.Select(g => $"{g.From}..{g.To} {(g.Explained ? "explained" : "UNEXPLAINED")}"));
                Console.WriteLine($"{c.Device} {c.Camera}: {c.Records} records, seq {c.FirstSeq}..{c.LastSeq}, contiguous to {c.ContiguousTo}, {gaps}");
            }
            foreach (var rollout in report.Rollouts)
            {
                var states = rollout.Devices.GroupBy(d => d.State).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
                Console.WriteLine($"rollout {rollout.Id} ({rollout.Version}): {rollout.State}{(rollout.Reason is { } why ? " (" + why + ")" : "")}; {string.Join(", ", states)}");
            }
            Console.WriteLine(JsonSerializer.Serialize(report, FleetJsonContext.Default.FleetReport));
            return ExitCodes.Ok;
        });
        return command;
    }
}

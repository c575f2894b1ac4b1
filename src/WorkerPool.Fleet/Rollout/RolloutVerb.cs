using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using WorkerPool.Fleet.Broker;
using WorkerPool.Fleet.Operator;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Rollout;

/// <summary>
/// <c>rollout --release MANIFEST --devices SELECTOR --base-url URL --database CONN [--canary N%] [--max-failures K]
/// [--wait-healthy S] --signing-key FILE</c>: a signed release to the selected devices, canary first
/// (docs/FLEET.md, "Rolling out a release").
/// </summary>
internal static class RolloutVerb
{
    public static Command Build(Option<string> database)
    {
        var broker = new BrokerArguments();
        var release = new Option<FileInfo>("--release") { Description = "The release manifest publish.sh wrote (artifacts/RID/release.json, with release.json.sig beside it)", Required = true };
        var devices = new Option<string>("--devices") { Description = "Which devices: tag:NAME, group:NAME (fleet.tags, fleet.group as their heartbeats report them), all, or a comma-separated list of ids", Required = true };
        var baseUrl = new Option<string>("--base-url") { Description = "Where devices download the archive: URL of the folder that holds it (serve --releases, or any static server with range requests)", Required = true };
        var canary = new Option<string>("--canary") { Description = "Share of the devices in the first wave, e.g. 10% (at least one device)", DefaultValueFactory = _ => "10%" };
        var maxFailures = new Option<int>("--max-failures") { Description = "Failed devices (rolled back, refused, failed, timed out) that halt the rollout", DefaultValueFactory = _ => 1 };
        var waitHealthy = new Option<int>("--wait-healthy") { Description = "Seconds a wave has to report healthy, download included", DefaultValueFactory = _ => 1800 };
        var signingKey = new Option<FileInfo?>("--signing-key") { Description = "Fleet private key (PEM): devices with a fleet key take only signed desired software" };
        var id = new Option<string?>("--id") { Description = "Rollout id (default: the version and the time)" };
        var command = new Command("rollout", "Roll a signed release out to devices in waves: a canary first, the rest once it is healthy; halt on failures")
        {
            database, release, devices, baseUrl, canary, maxFailures, waitHealthy, signingKey, id,
        };
        broker.AddTo(command);
        command.SetAction(async (r, token) =>
        {
            ReleaseManifest manifest;
            try { manifest = ReleaseManifest.Read(r.GetValue(release)!); }
            catch (InvalidDataException ex) { await Console.Error.WriteLineAsync("rollout: " + ex.Message).ConfigureAwait(false); return ExitCodes.InvalidInput; }
            string percentText = r.GetValue(canary)!.TrimEnd('%');
            if (!double.TryParse(percentText, NumberStyles.Float, CultureInfo.InvariantCulture, out double percent) || percent is < 0 or > 100)
            {
                await Console.Error.WriteLineAsync($"rollout: --canary {r.GetValue(canary)} is not a percentage from 0% to 100%").ConfigureAwait(false);
                return ExitCodes.InvalidInput;
            }
            int k = r.GetValue(maxFailures);
            if (k < 1) { await Console.Error.WriteLineAsync("rollout: --max-failures must be at least 1").ConfigureAwait(false); return ExitCodes.InvalidInput; }
            string url = r.GetValue(baseUrl)!.TrimEnd('/') + "/" + Uri.EscapeDataString(manifest.Archive);
            string rolloutId = r.GetValue(id) ?? $"{manifest.Version}-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
            if (!Contracts.SoftwareFields.Name().IsMatch(rolloutId))
            {
                await Console.Error.WriteLineAsync($"rollout: --id {rolloutId} must be letters, digits, '.', '+', '_' or '-' (at most 128)").ConfigureAwait(false);
                return ExitCodes.InvalidInput;
            }
            using var key = r.GetValue(signingKey) is { } file ? PemKeys.LoadPrivate(file) : null;
            using var loggers = FleetLogging.Create();
            await using var store = await FleetStore.OpenAsync(r.GetValue(database)!, loggers.CreateLogger("WorkerPool.Fleet.Rollout"), token).ConfigureAwait(false);
            var rollouts = new RolloutStore(store);
            string selector = r.GetValue(devices)!;
            var selected = await rollouts.SelectAsync(selector, token).ConfigureAwait(false);
            if (selected.Count == 0) { await Console.Error.WriteLineAsync($"rollout: {selector} selects no device (tags and groups come from the devices' heartbeats in the database)").ConfigureAwait(false); return ExitCodes.InvalidInput; }
            var plan = RolloutPlan.Make(selected, percent);
            var request = new RolloutRequest(rolloutId, manifest, url, selector, percent, k, TimeSpan.FromSeconds(Math.Max(1, r.GetValue(waitHealthy))));
            await rollouts.StartAsync(rolloutId, manifest, selector, percent, k, plan, DateTime.UtcNow, token).ConfigureAwait(false);
            Console.WriteLine($"rollout {rolloutId}: {manifest.Version} ({manifest.Rid}) to {selected.Count} device(s), canary {plan.Canary.Count}, from {url}");
            var runner = new RolloutRunner(broker.Endpoint(r), r.GetValue(broker.Prefix)!, key, rollouts, TimeProvider.System, Console.Out);
            return await runner.RunAsync(request, plan, token).ConfigureAwait(false) ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }
}

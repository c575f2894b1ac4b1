using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Serve;

/// <summary><c>serve</c>: the fleet dashboard, its JSON API and /metrics.</summary>
internal static class ServeCommand
{
    public static Command Build(Option<string> database)
    {
        var listen = new Option<string>("--listen") { Description = "Address and port, e.g. 127.0.0.1:8080 or 0.0.0.0:443", Required = true };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = "File whose first line is the access token (at least 16 characters)" };
        var noAuth = new Option<bool>("--no-auth") { Description = "No token (only on a loopback address)" };
        var cert = new Option<FileInfo?>("--cert") { Description = "PEM certificate for HTTPS" };
        var certKey = new Option<FileInfo?>("--cert-key") { Description = "PEM key of the HTTPS certificate" };
        var webhook = new Option<string?>("--webhook") { Description = "URL that gets a POST for each alert that starts or ends" };
        var releases = new Option<DirectoryInfo?>("--releases") { Description = "Folder served under /releases/ (no token: archives are signed) for rollouts to download from, e.g. artifacts/" };
        var stale = new Option<int>("--stale-seconds") { Description = "Heartbeat age from which an online device is flagged", DefaultValueFactory = _ => 180 };
        var command = new Command("serve", "Serve the fleet dashboard (/), its JSON API (/api/) and Prometheus metrics (/metrics)")
        {
            database, listen, tokenFile, noAuth, cert, certKey, webhook, stale, releases,
        };
        command.SetAction(async (r, token) =>
        {
            if (!IPEndPoint.TryParse(r.GetValue(listen)!, out var endpoint) || endpoint.Port == 0)
                return await Fail($"--listen takes ADDRESS:PORT (an IP address), not {r.GetValue(listen)}").ConfigureAwait(false);
            string? secret = null;
            if (r.GetValue(tokenFile) is { } file)
            {
                try { secret = TokenAuth.ReadToken(file); }
                catch (Exception ex) when (ex is ArgumentException or IOException) { return await Fail(ex.Message).ConfigureAwait(false); }
            }
            else if (!r.GetValue(noAuth)) return await Fail("--token-file is required (or --no-auth, on a loopback address only)").ConfigureAwait(false);
            else if (!IPAddress.IsLoopback(endpoint.Address)) return await Fail("--no-auth is allowed on a loopback address only").ConfigureAwait(false);
            if (r.GetValue(cert) is null != r.GetValue(certKey) is null) return await Fail("--cert and --cert-key go together").ConfigureAwait(false);
            (FileInfo, FileInfo)? certificate = r.GetValue(cert) is { } c && r.GetValue(certKey) is { } k ? (c, k) : null;
            Uri? hook = null;
            if (r.GetValue(webhook) is { } w && !(Uri.TryCreate(w, UriKind.Absolute, out hook) && hook.Scheme is "http" or "https"))
                return await Fail($"--webhook must be an http or https URL, not {w}").ConfigureAwait(false);
            if (r.GetValue(releases) is { Exists: false } missing) return await Fail($"--releases {missing.FullName} does not exist").ConfigureAwait(false);
            var options = new ServeOptions(endpoint, secret, certificate, hook, AlertThresholds.Default with { StaleHeartbeat = TimeSpan.FromSeconds(r.GetValue(stale)) })
            {
                Releases = r.GetValue(releases),
            };
            using var loggers = FleetLogging.Create();
            await using var store = await FleetStore.OpenAsync(r.GetValue(database)!, loggers.CreateLogger("WorkerPool.Fleet.Serve"), token).ConfigureAwait(false);
            await using var app = DashboardServer.Build(options, store);
            await app.StartAsync(token).ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"Dashboard on {(certificate is null ? "http" : "https")}://{endpoint}/").ConfigureAwait(false);
            try { await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> Fail(string message)
    {
        await Console.Error.WriteLineAsync("serve: " + message).ConfigureAwait(false);
        return ExitCodes.InvalidInput;
    }
}

using System.CommandLine;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// <c>provision</c>: issues each named device a client certificate from the fleet CA and writes its bundle
/// (certificate, key, broker CA, release key, config from a template) for <c>install.sh --bundle</c>.
/// </summary>
internal static class ProvisionVerb
{
    /// <summary>The verb and its options.</summary>
    public static Command Build()
    {
        var device = new Option<string[]>("--device") { Description = "Device id (repeat for several)" };
        var devices = new Option<string?>("--devices") { Description = "Comma-separated device ids" };
        var template = new Option<FileInfo>("--template") { Description = "Device config template (JSON, comments allowed)", DefaultValueFactory = _ => new FileInfo("device-config/appliance.json") };
        var caDir = new Option<DirectoryInfo>("--ca") { Description = "Folder written by ca init", Required = true };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder for the bundles: one folder per device, named after it", Required = true };
        var brokerCa = new Option<FileInfo?>("--broker-ca") { Description = "CA of the broker's server certificate (default: the fleet CA)" };
        var brokerHost = new Option<string?>("--broker-host") { Description = "Set mqtt.host (default: the template's)" };
        var brokerPort = new Option<int?>("--broker-port") { Description = "Set mqtt.port (default: the template's, 8883 where it is 1883)" };
        var installDir = new Option<string>("--install-dir") { Description = "Where install.sh puts the files on the device", DefaultValueFactory = _ => "/etc/workerpool" };
        var force = new Option<bool>("--force") { Description = "Replace existing bundles (re-issue, e.g. before a certificate expires)" };
        var command = new Command("provision", "Issue device certificates (1 year) and write per-device bundles for install.sh --bundle")
        {
            device, devices, template, caDir, outDir, brokerCa, brokerHost, brokerPort, installDir, force,
        };
        command.SetAction(r =>
        {
            var ids = (r.GetValue(device) ?? []).Concat((r.GetValue(devices) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            return Run(ids, r.GetValue(template)!, r.GetValue(caDir)!, r.GetValue(outDir)!, r.GetValue(brokerCa), r.GetValue(brokerHost), r.GetValue(brokerPort),
                r.GetValue(installDir)!, r.GetValue(force));
        });
        return command;
    }

    /// <summary>Provisions <paramref name="ids"/>; every id is checked before any bundle is written, so a typo leaves nothing half done.</summary>
    public static int Run(IReadOnlyList<string> ids, FileInfo template, DirectoryInfo caDir, DirectoryInfo outDir, FileInfo? brokerCa,
        string? brokerHost, int? brokerPort, string installDir, bool force)
    {
        if (ids.Count == 0) return Fail("name at least one device (--device ID or --devices a,b,c)");
        if (ids.FirstOrDefault(id => !DeviceBundle.IsValidId(id)) is { } bad)
            return Fail($"'{bad}' is not a device id: 1-64 letters, digits, '-' or '_' (and not the placeholder {DeviceBundle.PlaceholderId})");
        if (ids.GroupBy(id => id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice) return Fail($"'{twice.Key}' is named twice");
        if (!force && ids.FirstOrDefault(id => Directory.Exists(Path.Combine(outDir.FullName, id))) is { } made)
            return Fail($"{Path.Combine(outDir.FullName, made)} exists: a bundle is never overwritten by accident (--force re-issues it)");
        if (!template.Exists) return Fail($"template {template.FullName} does not exist");
        if (brokerCa is { Exists: false }) return Fail($"--broker-ca {brokerCa.FullName} does not exist");
        foreach (var f in new[] { "fleet-public.pem", "release-public.pem" })
            if (!File.Exists(Path.Combine(caDir.FullName, f))) return Fail($"{Path.Combine(caDir.FullName, f)} does not exist: make it with workerpool-fleet ca init --out {caDir.FullName}");
        try
        {
            using var ca = FleetCa.Load(caDir.FullName);
            var request = new ProvisionRequest(caDir.FullName, outDir.FullName, template.FullName, File.ReadAllText(template.FullName),
                File.ReadAllText(Path.Combine(caDir.FullName, "fleet-public.pem")), brokerCa?.FullName, brokerHost, brokerPort, installDir, force);
            var now = DateTimeOffset.UtcNow;
            foreach (string id in ids) Console.WriteLine(DeviceBundle.Write(request, id, ca, now));
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return Fail(ex.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("provision: " + message);
        return ExitCodes.InvalidInput;
    }
}

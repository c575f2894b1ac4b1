using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// One device's provisioning bundle: a folder named after the device holding <c>device.crt</c>, <c>device.key</c>
/// (0600), <c>broker-ca.crt</c>, <c>release-public.pem</c> and <c>config.json</c>, which <c>install.sh --bundle</c>
/// places in /etc/workerpool.
/// </summary>
internal static partial class DeviceBundle
{
    /// <summary>The files of a bundle, by the names install.sh expects.</summary>
    public static readonly string[] Files = ["device.crt", "device.key", "broker-ca.crt", "release-public.pem", "config.json"];

    /// <summary>The template's placeholder id, which the device refuses.</summary>
    public const string PlaceholderId = "CHANGE-ME";

    /// <summary>The broker port a TLS config gets when the template still has MQTT's plain port.</summary>
    public const int TlsPort = 8883;

    /// <summary>Whether <paramref name="id"/> is a device id the device accepts (the device's own rule: 1-64 of A-Z a-z 0-9 - _).</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id) && id != PlaceholderId;

    /// <summary>
    /// Writes <paramref name="deviceId"/>'s bundle into <c>{outDir}/{deviceId}</c> and returns that folder.
    /// The config's file paths name the request's install folder, where install.sh puts the files on the device.
    /// </summary>
    public static string Write(ProvisionRequest request, string deviceId, FleetCa ca, DateTimeOffset now)
    {
        if (!IsValidId(deviceId)) throw new ArgumentException($"'{deviceId}' is not a device id: 1-64 letters, digits, '-' or '_' (and not the placeholder {PlaceholderId})");
        string dir = Path.Combine(request.OutDir, deviceId);
        if (Directory.Exists(dir) && !request.Force) throw new IOException($"{dir} exists: a bundle is never overwritten by accident (--force re-issues it)");
        JsonObject config = Configure(request, deviceId);
        Directory.CreateDirectory(dir);

        var (certificate, key) = ca.IssueDevice(deviceId, now);
        using (certificate)
        using (key)
        {
            File.WriteAllText(Path.Combine(dir, "device.crt"), certificate.ExportCertificatePem());
            KeyFiles.WritePrivate(Path.Combine(dir, "device.key"), key.ExportPkcs8PrivateKeyPem());
        }
        if (request.BrokerCa is { } brokerCa) File.Copy(brokerCa, Path.Combine(dir, "broker-ca.crt"), overwrite: true);
        else File.WriteAllText(Path.Combine(dir, "broker-ca.crt"), ca.Certificate.ExportCertificatePem());
        File.Copy(Path.Combine(request.CaDir, "release-public.pem"), Path.Combine(dir, "release-public.pem"), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return dir;
    }

    /// <summary>The template with this device's id, the fleet key and mutual TLS with the bundle's files.</summary>
    private static JsonObject Configure(ProvisionRequest request, string deviceId)
    {
        var config = JsonNode.Parse(request.TemplateText, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
            ?? throw new ArgumentException($"{request.Template} does not hold a JSON object");
        config["deviceId"] = deviceId;
        var security = Child(config, "security");
        security["fleetPublicKey"] = request.FleetPublicKey;
        var mqtt = Child(config, "mqtt");
        if (request.BrokerHost is { } host) mqtt["host"] = host;
        if (request.BrokerPort is { } port) mqtt["port"] = port;
        // A TLS listener is not on MQTT's plain port: 1883 (or no port, which means 1883) becomes 8883.
        else if (mqtt["port"] is null || (mqtt["port"] is JsonValue v && v.TryGetValue(out int p) && p == 1883)) mqtt["port"] = TlsPort;
        var tls = Child(mqtt, "tls");
        tls["enabled"] = true;
        tls["caFile"] = Path.Combine(request.InstallDir, "broker-ca.crt");
        tls["certFile"] = Path.Combine(request.InstallDir, "device.crt");
        tls["keyFile"] = Path.Combine(request.InstallDir, "device.key");
        tls["certificateCnIsUsername"] = true;
        return config;
    }

    private static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject child) return child;
        if (parent[name] is not null) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"the template's '{name}' is not an object"));
        var made = new JsonObject();
        parent[name] = made;
        return made;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();
}

/// <summary>What <c>provision</c> was asked for, read once and shared by every device of the run.</summary>
/// <param name="CaDir">The folder <c>ca init</c> wrote.</param>
/// <param name="OutDir">Where the bundle folders go.</param>
/// <param name="Template">The template's path, for messages.</param>
/// <param name="TemplateText">The template's text (JSON with comments).</param>
/// <param name="FleetPublicKey">The text of the CA folder's fleet-public.pem.</param>
/// <param name="BrokerCa">A broker CA file to ship instead of the fleet CA, or null.</param>
/// <param name="BrokerHost">The broker host to set, or null to keep the template's.</param>
/// <param name="BrokerPort">The broker port to set, or null.</param>
/// <param name="InstallDir">Where the files are installed on the device (/etc/workerpool).</param>
/// <param name="Force">Replace existing bundles.</param>
internal sealed record ProvisionRequest(string CaDir, string OutDir, string Template, string TemplateText, string FleetPublicKey,
    string? BrokerCa, string? BrokerHost, int? BrokerPort, string InstallDir, bool Force);

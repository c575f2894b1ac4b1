using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// The CA's record of what it issued, one small JSON file per certificate under <c>{ca}/issued/</c>
/// (<c>{serial}.json</c>: device id, serial, validity): <c>ca revoke --device ID</c> revokes every one of a device's
/// certificates from it, the ones <c>renew</c> issued included, without keeping the certificates themselves.
/// </summary>
internal static class IssuedCertificates
{
    /// <summary>One issued certificate.</summary>
    public sealed record Entry(string DeviceId, string Serial, DateTimeOffset NotBefore, DateTimeOffset NotAfter);

    /// <summary>Records <paramref name="certificate"/> as issued to <paramref name="deviceId"/>.</summary>
    public static void Record(string caDir, string deviceId, X509Certificate2 certificate)
    {
        string dir = Path.Combine(caDir, "issued");
        Directory.CreateDirectory(dir);
        var entry = new JsonObject
        {
            ["deviceId"] = deviceId,
            ["serial"] = certificate.SerialNumber,
            ["notBefore"] = certificate.NotBefore.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["notAfter"] = certificate.NotAfter.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        File.WriteAllText(Path.Combine(dir, certificate.SerialNumber + ".json"), entry.ToJsonString() + "\n");
    }

    /// <summary>Every certificate recorded in <paramref name="caDir"/> (none when nothing was issued yet).</summary>
    public static IReadOnlyList<Entry> All(string caDir)
    {
        string dir = Path.Combine(caDir, "issued");
        if (!Directory.Exists(dir)) return [];
        var entries = new List<Entry>();
        foreach (string file in Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            var node = JsonNode.Parse(File.ReadAllText(file))?.AsObject()
                ?? throw new InvalidDataException($"{file} is not an issued-certificate record");
            entries.Add(new Entry(
                node["deviceId"]?.GetValue<string>() ?? throw new InvalidDataException($"{file} names no deviceId"),
                node["serial"]?.GetValue<string>() ?? throw new InvalidDataException($"{file} names no serial"),
                DateTimeOffset.Parse(node["notBefore"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(node["notAfter"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)));
        }
        return entries;
    }
}

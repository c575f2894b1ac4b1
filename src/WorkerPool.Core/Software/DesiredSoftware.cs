using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.RemoteConfig;

namespace WorkerPool.Software;

/// <summary>What to do with a desired software state.</summary>
/// <param name="Request">The release to hand to the root helper; null when there is nothing to install.</param>
/// <param name="State">The state to record now (a refusal, or <c>downloading</c> with a request); null to leave it.</param>
/// <param name="Note">Why nothing is done, for the log; null otherwise.</param>
public sealed record SoftwareDecision(SoftwareDesired? Request, SoftwareState? State, string? Note);

/// <summary>
/// Decides what a desired software state (<c>software/desired</c>) asks of this device. A rollout is tried once: a
/// device that already holds a state for its id (in progress, healthy, rolled back) leaves it alone, so a rolled-back
/// release whose desired state is still retained is not installed again at the next start.
/// </summary>
public sealed class DesiredSoftware(string deviceId, TimeProvider time) : IDisposable
{
    private readonly FleetKeys keys = new();

    /// <inheritdoc />
    public void Dispose() => keys.Dispose();

    /// <summary>Decides on <paramref name="payload"/>, for a device running <paramref name="running"/> whose state is <paramref name="current"/>.</summary>
    public SoftwareDecision Decide(ReadOnlySpan<byte> payload, DeviceConfig config, string running, SoftwareState? current)
    {
        JsonObject json;
        SoftwareDesired desired;
        try
        {
            json = JsonNode.Parse(payload) as JsonObject ?? throw new JsonException("not an object");
            desired = json.Deserialize(ContractJsonContext.Default.SoftwareDesired) ?? throw new JsonException("null");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return new(null, null, $"not a desired software state ({ex.Message})");
        }
        var fields = Unplain(desired);
        if (fields is not null)
            return new(null, null, $"a desired software state whose {fields} is missing or not plain");
        if (current is { } c && c.Rollout == desired.Rollout)
            return new(null, null, $"rollout {desired.Rollout} was already handled here ({c.State})");

        SoftwareState Refused(string reason) => new("refused", desired.Version, running, desired.Rollout, reason, time.GetUtcNow());
        if (FleetKeys.Required(config.Security))
        {
            if (string.IsNullOrEmpty(desired.Signature))
                return new(null, Refused("unsigned: this device only accepts desired software signed with the fleet key"), null);
            if (keys.Verify(config.Security, SoftwareSignature.Bytes(deviceId, json), desired.Signature) == FleetKeyUsed.None)
                return new(null, Refused("the signature does not verify against the fleet key for this device"), null);
        }
        if (!config.Updates.Enabled)
            return new(null, Refused("remote updates are off on this device (updates.enabled)"), null);
        if (desired.Version == running)
            return new(null, new("healthy", desired.Version, running, desired.Rollout, $"{running} is already running", time.GetUtcNow()), null);
        if (ManifestVersion(desired.Manifest) is not { } version)
            return new(null, Refused("the manifest is not a release manifest (base64 of release.json with a version)"), null);
        if (version != desired.Version)
            return new(null, Refused($"the manifest is for {version}, the desired state names {desired.Version}"), null);
        return new(desired, new("downloading", desired.Version, running, desired.Rollout, null, time.GetUtcNow()), null);
    }

    private static string? Unplain(SoftwareDesired d)
    {
        if (d.Rollout is null || !SoftwareFields.Name().IsMatch(d.Rollout)) return "rollout";
        if (d.Version is null || !SoftwareFields.Name().IsMatch(d.Version)) return "version";
        if (d.Url is null || !SoftwareFields.Url().IsMatch(d.Url)) return "url";
        if (d.Manifest is null || !SoftwareFields.Base64().IsMatch(d.Manifest)) return "manifest";
        if (d.ManifestSignature is null || !SoftwareFields.Base64().IsMatch(d.ManifestSignature)) return "manifestSignature";
        return null;
    }

    private static string? ManifestVersion(string manifest)
    {
        try
        {
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(manifest)));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString() : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace WorkerPool.Contracts;

/// <summary>
/// The release a device should run, published retained on <c>software/desired</c> by <c>workerpool-fleet rollout</c>,
/// one per device. The device checks the fleet signature, hands it to its root helper, which downloads
/// <see cref="Url"/> and installs it only when <see cref="Manifest"/> verifies with the release key.
/// </summary>
/// <param name="Rollout">The rollout this belongs to: the device reports its progress under this id, and tries one rollout at most once.</param>
/// <param name="Version">The release version (the manifest's <c>version</c>).</param>
/// <param name="Url">Where the release archive is: http(s), served with range requests so a download resumes.</param>
/// <param name="Manifest">base64 of the exact bytes of the release's <c>release.json</c>.</param>
/// <param name="ManifestSignature">The content of <c>release.json.sig</c>: base64 of a DER ECDSA P-256/SHA-256 signature by the release key.</param>
/// <param name="IssuedAt">When the rollout published it.</param>
/// <param name="Signature">The fleet key's signature over <see cref="SoftwareSignature.Bytes"/>; required by devices with a fleet key.</param>
public sealed record SoftwareDesired(
    string Rollout,
    string Version,
    string Url,
    string Manifest,
    string ManifestSignature,
    DateTimeOffset IssuedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Signature);

/// <summary>
/// Where a device's software stands, retained on <c>software</c>: the progress of the latest rollout it was given
/// (<c>downloading</c>, <c>installed</c>, <c>healthy</c>) or how it ended otherwise (<c>rolled-back</c>,
/// <c>refused</c>, <c>failed</c>, each with its <see cref="Reason"/>); <c>idle</c> when it was never given one.
/// </summary>
/// <param name="State">See the type.</param>
/// <param name="Version">The release the state is about (the desired one); null when idle.</param>
/// <param name="Running">The release the device runs now.</param>
/// <param name="Rollout">The rollout id; null when idle or after an operator's rollback.</param>
/// <param name="Reason">Why it was rolled back, refused or failed; null otherwise.</param>
/// <param name="Time">When the state was reached, by the device's clock.</param>
public sealed record SoftwareState(
    string State,
    string? Version,
    string Running,
    string? Rollout,
    string? Reason,
    DateTimeOffset? Time)
{
    /// <summary>The states after which a rollout is over for the device.</summary>
    public static bool IsFinal(string state) => state is "healthy" or "rolled-back" or "refused" or "failed";

    /// <summary>The states in which a rollout failed on the device.</summary>
    public static bool IsFailure(string state) => state is "rolled-back" or "refused" or "failed";
}

/// <summary>The bytes a desired software state's signature covers.</summary>
public static class SoftwareSignature
{
    /// <summary>
    /// <c>"workerpool-software-v1\n{deviceId}\n"</c> + canonical JSON of the desired state without its
    /// <c>signature</c>: the device id is signed, so one device's desired release cannot be replayed to another.
    /// </summary>
    public static byte[] Bytes(string deviceId, JsonObject desired)
    {
        var unsigned = (JsonObject)desired.DeepClone();
        unsigned.Remove("signature");
        using var doc = JsonDocument.Parse(unsigned.ToJsonString());
        return [.. Encoding.UTF8.GetBytes($"workerpool-software-v1\n{deviceId}\n"), .. CanonicalJson.Bytes(doc.RootElement)];
    }
}

/// <summary>
/// The plain forms the fields of a desired software state must have: the device checks them before it writes a
/// request for its root helper (which checks them again, in update-agent.sh), and the fleet before it names a rollout.
/// </summary>
public static partial class SoftwareFields
{
    /// <summary>A rollout id or a release version: 1 to 128 letters, digits, '.', '+', '_' or '-', not starting with a punctuation mark.</summary>
    [GeneratedRegex("^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$")]
    public static partial Regex Name();

    /// <summary>An http(s) URL of plain characters, at most 2048 of them.</summary>
    [GeneratedRegex(@"^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,2040}$")]
    public static partial Regex Url();

    /// <summary>base64 on one line, at most 64 KiB of it.</summary>
    [GeneratedRegex("^[A-Za-z0-9+/=]{1,65536}$")]
    public static partial Regex Base64();
}

using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Messaging;
using WorkerPool.Pipeline;

namespace WorkerPool.RemoteConfig;


/// <summary>
/// Turns a desired-config message into a decision, with no side effect until everything checked out: size cap,
/// JSON shape, fleet signature (when a key is set), versions that only move forward, a JSON Merge Patch onto the
/// config in effect, and the same validator as start-up. An accepted change is applied through the caller's
/// delegate and then persisted, so a restart comes back with it on top of the device-config file. A change of the
/// broker connection (<c>mqtt</c> host, port, credentials, TLS) is tried first with a test connection and persisted
/// only when that succeeded; when the session then does not come up on it, the old settings and the persisted config
/// are restored: a mistyped broker address never strands a device, not even after a restart.
/// </summary>
public sealed class DesiredConfigProcessor : IConfigVersion, IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly string _statePath;
    private readonly FleetKeys _keys = new();
    private readonly int _maxPayloadBytes;
    private readonly JsonObject _fileConfig;
    private readonly string _baseDirectory;
    private readonly Func<DeviceConfig, List<ConfigError>> _validate;
    private JsonObject _overlay;
    private readonly SemaphoreSlim _one = new(1, 1); // desired configs and the device's own changes (install-cert), one at a time

    /// <summary>Creates the processor over the device-config file's content and the persisted state, if any.</summary>
    /// <param name="validate">The start-up validator by default (model file checks included).</param>
    public DesiredConfigProcessor(DeviceConfig fileConfig, string statePath, int maxPayloadBytes,
        Func<DeviceConfig, List<ConfigError>>? validate = null)
    {
        _validate = validate ?? (c => DeviceConfigValidator.Validate(c));
        _statePath = statePath;
        _maxPayloadBytes = maxPayloadBytes;
        _baseDirectory = fileConfig.BaseDirectory;
        _fileConfig = ToJson(fileConfig);
        (AppliedVersion, _overlay) = LoadState(statePath);
        VersionFloor = Math.Max(AppliedVersion, LoadFloor(FloorPath));
        Effective = FromJson(JsonMergePatch.Apply(_fileConfig, _overlay));
    }

    /// <summary>
    /// The highest version ever accepted, kept in its own file beside the state (<c>.version-floor</c>). It never
    /// goes down: not when the applied changes are discarded, nor when the state file is damaged, so a captured
    /// older signed config cannot be applied again.
    /// </summary>
    public long VersionFloor { get; private set; }

    private string FloorPath => _statePath + ".version-floor";

    /// <summary>The device id, which a remote config cannot change (it names the device's topics).</summary>
    public string DeviceId => Effective.DeviceId;

    /// <summary>The highest version applied so far (0 before any).</summary>
    public long AppliedVersion { get; private set; }

    /// <summary>The config in effect: the file with every applied change on top.</summary>
    public DeviceConfig Effective { get; private set; }

    /// <summary>
    /// Drops the persisted remote changes (the file is kept as <c>.discarded</c>) and goes back to the device-config
    /// file alone: used at start when file plus changes no longer validate, so the device does not crash-loop. The
    /// <see cref="VersionFloor"/> stays: the fleet sends a higher version to configure the device again.
    /// </summary>
    public void DiscardApplied()
    {
        if (File.Exists(_statePath)) File.Move(_statePath, _statePath + ".discarded", overwrite: true);
        _overlay = [];
        AppliedVersion = 0;
        Effective = FromJson(JsonMergePatch.Apply(_fileConfig, _overlay));
    }

    /// <inheritdoc />
    public string ConfigVersion => $"{AppliedVersion}:{EffectiveHash[..12]}";

    /// <summary>Hash of the config in effect.</summary>
    public string EffectiveHash => Hash(ToJson(Effective));

    /// <summary>
    /// Handles one desired-config payload. <paramref name="apply"/> is called with the new config only when it
    /// passed every check; it returns errors when applying failed (then nothing is persisted). Applying may take time (restarting a
    /// camera, loading models), hence asynchronous. <paramref name="broker"/> tries and moves a changed connection;
    /// without it (no MQTT session) such a change is refused.
    /// </summary>
    public async Task<ReportedConfig> ProcessAsync(byte[] payload, Func<DeviceConfig, Task<IReadOnlyList<ConfigError>>> apply, IBrokerSwitch? broker = null)
    {
        await _one.WaitAsync().ConfigureAwait(false);
        try { return await ProcessOneAsync(payload, apply, broker).ConfigureAwait(false); }
        finally { _one.Release(); }
    }

    /// <summary>
    /// A change the device makes itself, not the fleet's config (a renewed certificate: <c>install-cert</c>, a signed
    /// command): merged into the persisted changes under the applied version, validated, and, when it moves the
    /// connection, tried and moved exactly as a remote <c>mqtt</c> change is, so a restart keeps it and a failed
    /// test connection changes nothing.
    /// </summary>
    public async Task<ReportedConfig> ApplyLocalAsync(JsonObject patch, Func<DeviceConfig, Task<IReadOnlyList<ConfigError>>> apply, IBrokerSwitch? broker)
    {
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            var overlay = JsonMergePatch.Apply(_overlay, patch);
            DeviceConfig candidate;
            try { candidate = FromJson(JsonMergePatch.Apply(_fileConfig, overlay)); }
            catch (ConfigException ex) { return Rejected(AppliedVersion, [.. ex.Errors]); }
            var invalid = _validate(candidate);
            if (invalid.Count > 0) return Rejected(AppliedVersion, [.. invalid.Select(e => e with { Path = "config." + e.Path })]);
            bool moves = !ConfigEquality.SameMqttConnection(Effective.Mqtt, candidate.Mqtt);
            if (moves && broker is null) return Rejected(AppliedVersion, new ConfigError("config.mqtt", "there is no MQTT session to move"));
            return await CommitAsync(AppliedVersion, overlay, candidate, moves ? broker : null, apply).ConfigureAwait(false);
        }
        finally { _one.Release(); }
    }

    private async Task<ReportedConfig> ProcessOneAsync(byte[] payload, Func<DeviceConfig, Task<IReadOnlyList<ConfigError>>> apply, IBrokerSwitch? broker)
    {
        if (payload.Length > _maxPayloadBytes)
            return Rejected(0, new ConfigError("$", $"payload is {payload.Length} bytes, more than mqtt.maxPayloadBytes ({_maxPayloadBytes})"));
        JsonDocument doc;
        try { doc = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException ex) { return Rejected(0, new ConfigError("$", "not valid JSON: " + ex.Message.Split(" Path:", 2)[0])); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Rejected(0, new ConfigError("$", "must be an object {\"version\": N, \"config\": {…}}"));
            long version = 0;
            var errors = new List<ConfigError>();
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out version) || version < 1)
                errors.Add(new("version", "must be an integer of at least 1"));
            if (!root.TryGetProperty("config", out var patch) || patch.ValueKind != JsonValueKind.Object)
                errors.Add(new("config", "must be an object with the fields to change"));
            foreach (var p in root.EnumerateObject())
                if (p.Name is not ("version" or "config" or "signature")) errors.Add(new(p.Name, "unknown field"));
            if (errors.Count > 0) return Rejected(version, [.. errors]);

            var signedBy = FleetKeyUsed.None;
            if (FleetKeys.Required(Effective.Security))
            {
                string? signature = root.TryGetProperty("signature", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                if (signature is null) return Rejected(version, new ConfigError("signature", "is required: this device only accepts configs signed with the fleet key"));
                signedBy = _keys.Verify(Effective.Security, FleetSignature.ConfigBytes(DeviceId, version, patch), signature);
                if (signedBy == FleetKeyUsed.None)
                    return Rejected(version, new ConfigError("signature", "does not verify against the fleet key for this device and version"));
            }
            if (version <= AppliedVersion)
                return new ReportedConfig(version, "ignored", [new("version", $"{version} is not newer than the applied version {AppliedVersion}")], EffectiveHash);
            if (version <= VersionFloor)
                return new ReportedConfig(version, "ignored", [new("version", $"{version} is not newer than version {VersionFloor}, accepted before (send a higher version)")], EffectiveHash);

            var patchNode = JsonNode.Parse(patch.GetRawText())!.AsObject();
            if (patchNode.ContainsKey("deviceId")) return Rejected(version, new ConfigError("config.deviceId", "cannot be changed remotely (it names the device's topics)"));
            var overlay = JsonMergePatch.Apply(_overlay, patchNode);
            DeviceConfig candidate;
            try { candidate = FromJson(JsonMergePatch.Apply(_fileConfig, overlay)); }
            catch (ConfigException ex) { return Rejected(version, [.. ex.Errors.Select(e => e with { Path = "config" + e.Path.TrimStart('$') })]); }
            if (candidate.Mqtt.TopicPrefix != Effective.Mqtt.TopicPrefix)
                return Rejected(version, new ConfigError("config.mqtt.topicPrefix", "cannot be changed remotely (it names the device's topics)"));
            if (SecurityRefusal(Effective.Security, candidate.Security, signedBy) is { } refusal) return Rejected(version, refusal);
            var invalid = _validate(candidate);
            if (invalid.Count > 0) return Rejected(version, [.. invalid.Select(e => e with { Path = "config." + e.Path })]);

            bool moves = !ConfigEquality.SameMqttConnection(Effective.Mqtt, candidate.Mqtt);
            if (moves && MqttRefusal(Effective.Security, broker) is { } mqttRefusal) return Rejected(version, mqttRefusal);
            return await CommitAsync(version, overlay, candidate, moves ? broker : null, apply).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Applies and persists a checked change; with <paramref name="broker"/> (the connection changes) a test
    /// connection comes first and the session moves last, and a session that does not come up on the new settings
    /// puts the old config back, on disk and in the pipeline.
    /// </summary>
    private async Task<ReportedConfig> CommitAsync(long version, JsonObject overlay, DeviceConfig candidate, IBrokerSwitch? broker,
        Func<DeviceConfig, Task<IReadOnlyList<ConfigError>>> apply)
    {
        var timeout = TimeSpan.FromSeconds(candidate.Mqtt.SwitchTimeoutSeconds);
        if (broker is not null && await broker.ProbeAsync(candidate.Mqtt, timeout, CancellationToken.None).ConfigureAwait(false) is { } unreachable)
            return Rejected(version, new ConfigError("config.mqtt", $"the test connection to {Where(candidate.Mqtt)} failed: {unreachable}; nothing changed"));
        var failed = await apply(candidate).ConfigureAwait(false);
        if (failed.Count > 0) return Rejected(version, [.. failed]);
        var (oldVersion, oldOverlay, old) = (AppliedVersion, _overlay, Effective);
        if (version > VersionFloor)
        {
            // The floor first: if the state write is torn, the version still cannot be used again.
            WriteDurably(FloorPath, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            VersionFloor = version;
        }
        SaveState(_statePath, version, overlay);
        (_overlay, AppliedVersion, Effective) = (overlay, version, candidate);
        if (broker is not null && await broker.SwitchAsync(candidate.Mqtt, timeout, CancellationToken.None).ConfigureAwait(false) is { } lost)
        {
            // The move did not hold: the config before it comes back, persisted too, so a restart does not try it again.
            if (oldVersion == 0 && oldOverlay.Count == 0) File.Delete(_statePath);
            else SaveState(_statePath, oldVersion, oldOverlay);
            (_overlay, AppliedVersion, Effective) = (oldOverlay, oldVersion, old);
            await apply(old).ConfigureAwait(false);
            return Rejected(version, new ConfigError("config.mqtt", $"{lost}; back on {Where(old.Mqtt)}, the previous config restored"));
        }
        return new ReportedConfig(version, "applied", [], EffectiveHash);
    }

    private static string Where(MqttOptions mqtt) => $"{mqtt.Host}:{mqtt.Port}";

    /// <summary>
    /// The broker connection moves only by a config signed with a fleet key (like <c>security</c>): a device that
    /// accepts unsigned configs would let anyone who can publish to its topic send it to their own broker.
    /// </summary>
    private static ConfigError? MqttRefusal(SecurityOptions? security, IBrokerSwitch? broker)
    {
        if (!FleetKeys.Required(security))
            return new("config.mqtt", "cannot be changed remotely on a device without a fleet key: only a config signed with the fleet key moves the broker connection");
        if (broker is null) return new("config.mqtt", "cannot be changed remotely here: there is no MQTT session to move");
        return null;
    }

    /// <summary>
    /// The one remote change allowed in <c>security</c> is a key rotation: a config signed by the current key may
    /// set or clear <c>fleetPublicKeyNext</c>; a config signed by the next key may make it the current one (clearing
    /// <c>fleetPublicKeyNext</c>). The ingest's <c>resendPublicKey</c> may be changed by a config signed with a fleet
    /// key. Anything else there, or on a device without a fleet key, is refused.
    /// </summary>
    private static ConfigError? SecurityRefusal(SecurityOptions? before, SecurityOptions? after, FleetKeyUsed signedBy)
    {
        string? current = Empty(before?.FleetPublicKey), next = Empty(before?.FleetPublicKeyNext);
        string? newCurrent = Empty(after?.FleetPublicKey), newNext = Empty(after?.FleetPublicKeyNext);
        bool resendChanged = Empty(before?.ResendPublicKey) != Empty(after?.ResendPublicKey);
        if (current == newCurrent && next == newNext && !resendChanged) return null;
        if (current is null) return new("config.security", "cannot be changed remotely on a device without a fleet key");
        if (current == newCurrent && next == newNext) return null; // only the resend key, in a config a fleet key signed
        if (newCurrent == current && signedBy == FleetKeyUsed.Current) return null; // the next key set or cleared
        if (next is not null && newCurrent == next && newNext is null && signedBy == FleetKeyUsed.Next) return null; // the rotation completed
        return new("config.security", "only a key rotation can change it remotely: fleetPublicKeyNext, in a config signed by the current key; " +
            "then fleetPublicKey set to that next key (and fleetPublicKeyNext cleared), in a config signed by the next key");
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <inheritdoc />
    public void Dispose()
    {
        _keys.Dispose();
        _one.Dispose();
    }

    private ReportedConfig Rejected(long version, params ConfigError[] errors) => new(version, "rejected", errors, EffectiveHash);

    private DeviceConfig FromJson(JsonObject json)
    {
        var config = ConfigLoader.Parse(json.ToJsonString());
        config.BaseDirectory = _baseDirectory;
        return config;
    }

    private static JsonObject ToJson(DeviceConfig config) =>
        JsonSerializer.SerializeToNode(config, Config.ConfigJsonContext.Default.DeviceConfig)!.AsObject();

    private static string Hash(JsonObject json)
    {
        using var doc = JsonDocument.Parse(json.ToJsonString());
        return Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Bytes(doc.RootElement)));
    }

    private static (long Version, JsonObject Overlay) LoadState(string path)
    {
        if (!File.Exists(path)) return (0, []);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            return (node["version"]!.GetValue<long>(), node["overlay"]!.AsObject().DeepClone().AsObject());
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            // A damaged state file must not stop the device: it starts from the device-config file alone.
            File.Move(path, path + ".corrupt", overwrite: true);
            return (0, []);
        }
    }

    /// <summary>The floor file's version; 0 when there is none or it is damaged (then the state's version is the floor).</summary>
    private static long LoadFloor(string path)
    {
        try
        {
            return File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long floor) ? floor : 0;
        }
        catch (IOException) { return 0; }
    }

    private static void SaveState(string path, long version, JsonObject overlay) =>
        WriteDurably(path, new JsonObject { ["version"] = version, ["overlay"] = overlay.DeepClone() }.ToJsonString(Indented));

    /// <summary>Replaces the file atomically, its content on disk first (a power cut leaves the old or the new one).</summary>
    private static void WriteDurably(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}

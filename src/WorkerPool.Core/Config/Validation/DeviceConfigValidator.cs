using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Geometry;
using WorkerPool.Inference;
using WorkerPool.Contracts;

namespace WorkerPool.Config.Validation;

/// <summary>
/// Checks a device config and names every problem by path. Used at start-up (options validation)
/// and by anything else that must accept or refuse a config.
/// </summary>
public sealed partial class DeviceConfigValidator : IValidateOptions<DeviceConfig>
{
    /// <summary>Most cameras a device runs (each is a reader thread, and an FFmpeg child for streams).</summary>
    public const int MaxCameras = 16;

    /// <summary>Most lines, and most zones, per camera.</summary>
    public const int MaxShapesPerCamera = 64;

    /// <summary>Most points of a zone polygon (its self-intersection check is quadratic).</summary>
    public const int MaxPolygonPoints = 64;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();

    // scheme://rest, as in mqtt://, mqtts://, tcp://, ssl://, ws://
    [GeneratedRegex("^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?<rest>.*)$")]
    private static partial Regex SchemePrefix();

    // name:port, but not an IPv6 address (more than one colon) or a bracketed one
    [GeneratedRegex(@"^(?<host>[^:\[\]]+):(?<port>\d*)$")]
    private static partial Regex HostWithPort();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DeviceConfig options)
    {
        var errors = Validate(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => e.ToString()));
    }

    /// <summary>Returns every error in the config (empty when valid), including model file checks.</summary>
    public static List<ConfigError> Validate(DeviceConfig config, bool checkModel = true) => Validate(config, checkModel, out _);

    /// <summary>Returns every error in the config, with the checked model (null when the model was not checked or failed), so a caller need not check it twice.</summary>
    public static List<ConfigError> Validate(DeviceConfig config, out ModelInfo? model) => Validate(config, checkModel: true, out model);

    private static List<ConfigError> Validate(DeviceConfig config, bool checkModel, out ModelInfo? model)
    {
        model = null;
        var errors = new List<ConfigError>();
        void Add(string path, string message) => errors.Add(new ConfigError(path, message));

        if (!IdPattern().IsMatch(config.DeviceId ?? ""))
            Add("deviceId", "must be 1-64 letters, digits, '-' or '_'");
        else if (config.DeviceId == "CHANGE-ME")
            Add("deviceId", "is still the placeholder of device-config/appliance.json: give this device its own id");

        ValidateModelOptions(config.Model, Add);
        ValidatePool(config.Pool, Add);
        ValidateTracker(config.Tracker, Add);
        ValidateCounting(config.Counting, Add);
        ValidateCameras(config.Cameras, Add);
        ValidateOutbox(config.Outbox, Add);
        ValidateMqtt(config.Mqtt, config.DeviceId ?? "", Add);
        ValidateAppliance(config, Add);
        ValidateFleet(config.Fleet, Add);
        ValidateWritablePaths(config, Add);
        if (config.Security?.FleetPublicKey is { Length: > 0 } pem)
        {
            try { using var key = WorkerPool.Contracts.FleetSignature.FromPublicKeyPem(pem); }
            catch (ArgumentException ex) { Add("security.fleetPublicKey", ex.Message); }
        }
        if (config.Security?.FleetPublicKeyNext is { Length: > 0 } next)
        {
            if (string.IsNullOrEmpty(config.Security.FleetPublicKey)) Add("security.fleetPublicKeyNext", "needs security.fleetPublicKey (a next key is for rotating the current one)");
            else if (next == config.Security.FleetPublicKey) Add("security.fleetPublicKeyNext", "is the current key");
            try { using var key = WorkerPool.Contracts.FleetSignature.FromPublicKeyPem(next); }
            catch (ArgumentException ex) { Add("security.fleetPublicKeyNext", ex.Message); }
        }
        if (config.Security?.ResendPublicKey is { Length: > 0 } resend)
        {
            if (resend == config.Security.FleetPublicKey || resend == config.Security.FleetPublicKeyNext)
                Add("security.resendPublicKey", "is a fleet key: the ingest's resend key must be a key of its own");
            try { using var key = WorkerPool.Contracts.FleetSignature.FromPublicKeyPem(resend); }
            catch (ArgumentException ex) { Add("security.resendPublicKey", ex.Message); }
        }

        if (checkModel && config.Model is not null && !errors.Any(e => e.Path.StartsWith("model", StringComparison.Ordinal)))
            model = ModelInspector.Check(config, errors);
        return errors;
    }

    private static void ValidateModelOptions(ModelOptions? model, Action<string, string> add)
    {
        if (model is null) { add("model", "is required"); return; }
        if (string.IsNullOrWhiteSpace(model.Manifest)) add("model.manifest", "is required");
        if (model.ScoreThreshold is <= 0 or >= 1) add("model.scoreThreshold", "must be between 0 and 1 (exclusive)");
        if (model.NmsThreshold is <= 0 or > 1) add("model.nmsThreshold", "must be in (0, 1]");
    }

    private static void ValidatePool(PoolOptions? pool, Action<string, string> add)
    {
        if (pool is null) { add("pool", "is required"); return; }
        if (pool.Workers is null || pool.Workers.Count == 0) add("pool.workers", "needs at least one worker");
        if (pool.QueuePerCamera is < 1 or > 64) add("pool.queuePerCamera", "must be between 1 and 64");
        if (pool.InferenceTimeoutMs is < 100 or > 600_000) add("pool.inferenceTimeoutMs", "must be between 100 and 600000");
        if (pool.Workers is null) return;

        var available = ThreadAffinity.AllowedCores();
        var owner = new Dictionary<int, int>();
        for (int w = 0; w < pool.Workers.Count; w++)
        {
            string path = $"pool.workers[{w}]";
            var worker = pool.Workers[w];
            if (worker is null) { add(path, "is null"); continue; }
            if (!ExecutionDevice.TryParse(worker.Device, out _))
                add(path + ".device", $"unknown device '{worker.Device}' (expected cpu, cuda:N or tensorrt:N)");
            var cores = worker.Cores ?? [];
            for (int c = 0; c < cores.Count; c++)
            {
                int core = cores[c];
                if (!available.Contains(core))
                    add($"{path}.cores[{c}]", $"core {core} is not available on this machine (allowed: {ThreadAffinity.FormatList(available)})");
                else if (owner.TryGetValue(core, out int other))
                    add($"{path}.cores[{c}]", other == w ? $"core {core} is listed twice" : $"core {core} is already used by pool.workers[{other}]");
                else owner[core] = w;
            }
        }
    }

    private static void ValidateTracker(TrackerOptions? t, Action<string, string> add)
    {
        if (t is null) { add("tracker", "is required"); return; }
        if (t.HighThreshold is <= 0 or >= 1) add("tracker.highThreshold", "must be between 0 and 1 (exclusive)");
        if (t.NewTrackThreshold is <= 0 or > 1) add("tracker.newTrackThreshold", "must be in (0, 1]");
        if (t.MatchIou is <= 0 or >= 1) add("tracker.matchIou", "must be between 0 and 1 (exclusive)");
        if (t.LowMatchIou is <= 0 or >= 1) add("tracker.lowMatchIou", "must be between 0 and 1 (exclusive)");
        if (t.LostSeconds is < 0 or > 60) add("tracker.lostSeconds", "must be between 0 and 60");
        if (t.LostReidHeights is < 0 or > 10) add("tracker.lostReidHeights", "must be between 0 (off) and 10");
        if (t.UnconfirmedMatchIou is <= 0 or >= 1) add("tracker.unconfirmedMatchIou", "must be between 0 and 1 (exclusive)");
        if (t.MaxSpeedHeightsPerSecond is < 0 or > 50) add("tracker.maxSpeedHeightsPerSecond", "must be between 0 (off) and 50");
    }

    private static void ValidateCounting(CountingOptions? counting, Action<string, string> add)
    {
        if (counting is null) { add("counting", "is required"); return; }
        int s = counting.WindowSeconds;
        if (s is < 1 or > 86400) add("counting.windowSeconds", "must be between 1 and 86400");
        else if (!counting.AllowUnalignedWindows && !WindowAlignment.Tiles(s))
            add("counting.windowSeconds", $"{s} s windows do not tile minutes, hours and days, so some would straddle two of the fleet's " +
                $"per-minute or hourly sums: use one that divides a minute, or whole minutes dividing an hour, or whole hours dividing a day " +
                $"(nearest: {WindowAlignment.Nearest(s)}), or set counting.allowUnalignedWindows: true");
        if (counting.LineHysteresis is < 0 or > 0.2) add("counting.lineHysteresis", "must be between 0 and 0.2");
        if (counting.CheckpointSeconds is < 0 or > 60) add("counting.checkpointSeconds", "must be between 0 (no checkpoints) and 60; 4 keeps a crash's loss under 5 s");
    }

    private static void ValidateCameras(List<CameraOptions>? cameras, Action<string, string> add)
    {
        if (cameras is null || cameras.Count == 0) { add("cameras", "needs at least one camera"); return; }
        // Caps first: a payload asking for thousands is refused with one error, before any per-item work.
        if (cameras.Count > MaxCameras) { add("cameras", $"at most {MaxCameras} cameras, has {cameras.Count}"); return; }
        // Ignoring case: the outbox keys each camera's sequence in LiteDB, which compares ids ignoring case, so
        // "Door" and "door" would share one seq series.
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < cameras.Count; i++)
        {
            string path = $"cameras[{i}]";
            var cam = cameras[i];
            if (cam is null) { add(path, "is null"); continue; }
            if (!IdPattern().IsMatch(cam.Id ?? "")) add(path + ".id", "must be 1-64 letters, digits, '-' or '_'");
            else if (!ids.Add(cam.Id!)) add(path + ".id", $"duplicate camera id '{cam.Id}' (ids must differ in more than case): give each camera its own id");
            if (!CameraUri.TryParse(cam.Url, out var uri, out string? urlError)) add(path + ".url", urlError!);
            else ValidateCameraCredentials(path, cam, uri!, add);
            if (cam.Fps is < 0 or > 240) add(path + ".fps", "must be between 0 and 240");
            if (cam.Width is < 0 or > 7680 || (cam.Width % 2) != 0) add(path + ".width", "must be an even number up to 7680 (0 = default)");
            if (cam.Height is < 0 or > 4320 || (cam.Height % 2) != 0) add(path + ".height", "must be an even number up to 4320 (0 = default)");
            if (cam.StallTimeoutSeconds is < 1 or > 600) add(path + ".stallTimeoutSeconds", "must be between 1 and 600");

            var shapeIds = new HashSet<string>(StringComparer.Ordinal);
            void CheckShapeId(string p, string? id)
            {
                if (!IdPattern().IsMatch(id ?? "")) add(p, "must be 1-64 letters, digits, '-' or '_'");
                else if (!shapeIds.Add(id!)) add(p, $"duplicate line/zone id '{id}'");
            }

            var lines = cam.Lines ?? [];
            if (lines.Count > MaxShapesPerCamera) { add(path + ".lines", $"at most {MaxShapesPerCamera} lines per camera, has {lines.Count}"); lines = []; }
            for (int l = 0; l < lines.Count; l++)
            {
                string lp = $"{path}.lines[{l}]";
                var line = lines[l];
                if (line is null) { add(lp, "is null"); continue; }
                CheckShapeId(lp + ".id", line.Id);
                bool fromOk = CheckPoint(lp + ".from", line.From, add);
                bool toOk = CheckPoint(lp + ".to", line.To, add);
                if (fromOk && toOk && line.From[0] == line.To[0] && line.From[1] == line.To[1])
                    add(lp, "has zero length (from equals to)");
            }

            var zones = cam.Zones ?? [];
            if (zones.Count > MaxShapesPerCamera) { add(path + ".zones", $"at most {MaxShapesPerCamera} zones per camera, has {zones.Count}"); zones = []; }
            for (int z = 0; z < zones.Count; z++)
            {
                string zp = $"{path}.zones[{z}]";
                var zone = zones[z];
                if (zone is null) { add(zp, "is null"); continue; }
                CheckShapeId(zp + ".id", zone.Id);
                var poly = zone.Polygon ?? [];
                if (poly.Count < 3) { add(zp + ".polygon", $"needs at least 3 points, has {poly.Count}"); continue; }
                if (poly.Count > MaxPolygonPoints) { add(zp + ".polygon", $"at most {MaxPolygonPoints} points, has {poly.Count}"); continue; }
                bool allOk = true;
                for (int p = 0; p < poly.Count; p++) allOk &= CheckPoint($"{zp}.polygon[{p}]", poly[p], add);
                if (allOk && Planar.IsSelfIntersecting(poly.Select(Point2.Of).ToArray()))
                    add(zp + ".polygon", "is self-intersecting");
            }
        }
    }

    /// <summary>
    /// Passwords stay out of the config (which <c>get-config</c> echoes and logs may show): a URL that holds one is
    /// refused, and the password comes from a file or an environment variable named by the camera.
    /// </summary>
    private static void ValidateCameraCredentials(string path, CameraOptions cam, CameraUri uri, Action<string, string> add)
    {
        bool stream = uri.Kind is SourceKind.Rtsp or SourceKind.Http;
        bool fields = !string.IsNullOrEmpty(cam.Username) || !string.IsNullOrEmpty(cam.PasswordFile) || !string.IsNullOrEmpty(cam.PasswordEnv);
        if (UrlUserInfo.TryFind(cam.Url, out _, out bool hasPassword))
        {
            if (hasPassword)
                add(path + ".url", $"holds a password ({UrlUserInfo.Redact(cam.Url)}), which get-config and the logs would show: take 'user:password@' out of the URL, " +
                    $"put the user name in {path}.username and the password in a file named by {path}.passwordFile (first line, chmod 0640, chgrp workerpool) " +
                    $"or an environment variable named by {path}.passwordEnv (set in /etc/workerpool/workerpool.env)");
            else if (fields)
                add(path + ".url", $"has a user name and {path}.username or a password is set too: take 'user@' out of the URL and keep it in {path}.username");
        }
        if (!fields) return;
        if (!stream) { add(path + ".username", "a user name and password apply to rtsp:// and http(s):// cameras only: remove them"); return; }
        if (string.IsNullOrEmpty(cam.Username)) add(path + ".username", $"is required with {path}.passwordFile or {path}.passwordEnv (the password goes with a user name)");
        else if (cam.Username.Contains(':', StringComparison.Ordinal) || cam.Username.Any(char.IsControl))
            add(path + ".username", "must not contain ':' or control characters (the stream URL separates user and password with ':')");
        if (cam.PasswordFile is { Length: > 0 } && cam.PasswordEnv is { Length: > 0 })
            add(path + ".passwordEnv", $"give {path}.passwordFile or {path}.passwordEnv, not both");
        else if (cam.PasswordFile is { Length: > 0 } file && !File.Exists(file))
            add(path + ".passwordFile", $"'{file}' does not exist: write the camera's password there (first line; chmod 0640, chgrp workerpool), or name an environment variable in {path}.passwordEnv instead");
        else if (cam.PasswordEnv is { Length: > 0 } env && !EnvironmentName().IsMatch(env))
            add(path + ".passwordEnv", $"'{env}' is not an environment variable name (letters, digits and '_', not starting with a digit): give the variable's name, never the password itself");
    }

    private static void ValidateOutbox(OutboxOptions? o, Action<string, string> add)
    {
        if (o is null) { add("outbox", "is required"); return; }
        if (string.IsNullOrWhiteSpace(o.Path)) add("outbox.path", "is required");
        if (o.MaxRecords < 1) add("outbox.maxRecords", "must be at least 1");
        if (o.MaxAgeHours is <= 0 or > 24 * 365 * 10) add("outbox.maxAgeHours", "must be between 0 and 87600 (exclusive of 0)");
        if (o.MaxBytes < 64 * 1024) add("outbox.maxBytes", "must be at least 65536");
        if (o.MaxPendingInMemory is < 1 or > 1_000_000) add("outbox.maxPendingInMemory", "must be between 1 and 1000000");
        if (o.ArchiveHours is not (>= 0 and <= 24 * 365 * 10)) add("outbox.archiveHours", "must be between 0 (no archive) and 87600");
        // LiteDB must never meet ENOSPC itself (it then fails for good, or hangs): a write needs this margin.
        if (o.MinFreeBytes < 64 * 1024) add("outbox.minFreeBytes", "must be at least 65536 (a write that fills the disk would break the database)");
    }

    private static void ValidateMqtt(MqttOptions? m, string deviceId, Action<string, string> add)
    {
        if (m is null) { add("mqtt", "is required"); return; }
        if (!m.Enabled) return;
        if (string.IsNullOrWhiteSpace(m.Host)) add("mqtt.host", "is required");
        else ValidateHost(m.Host, add);
        if (m.Port is < 1 or > 65535) add("mqtt.port", "must be between 1 and 65535");
        if (m.ClientId is { Length: > 0 } id && (id.Length > 128 || id.Any(char.IsControl))) add("mqtt.clientId", "must be 1-128 printable characters");
        if (string.IsNullOrEmpty(m.TopicPrefix) || m.TopicPrefix.IndexOfAny(['+', '#', '\0']) >= 0 || m.TopicPrefix.StartsWith('/') || m.TopicPrefix.EndsWith('/'))
            add("mqtt.topicPrefix", "must be a topic without wildcards (+, #) or leading/trailing '/'");
        if (m.KeepAliveSeconds is < 1 or > 3600) add("mqtt.keepAliveSeconds", "must be between 1 and 3600");
        if (m.HeartbeatSeconds is < 1 or > 86400) add("mqtt.heartbeatSeconds", "must be between 1 and 86400");
        if (m.BatchSize is < 1 or > 10_000) add("mqtt.batchSize", "must be between 1 and 10000");
        if (m.MaxPayloadBytes is < 1024 or > 16 * 1024 * 1024) add("mqtt.maxPayloadBytes", "must be between 1024 and 16777216");
        if (m.MaxBackoffSeconds is < 1 or > 3600) add("mqtt.maxBackoffSeconds", "must be between 1 and 3600");
        if (m.TimeoutSeconds is < 1 or > 300) add("mqtt.timeoutSeconds", "must be between 1 and 300");
        if (m.SwitchTimeoutSeconds is < 1 or > 600) add("mqtt.switchTimeoutSeconds", "must be between 1 and 600");
        if (m.AuthFailureBackoffSeconds is < 1 or > 86400) add("mqtt.authFailureBackoffSeconds", "must be between 1 and 86400");
        if (m.PasswordFile is { Length: > 0 } pf && !File.Exists(pf))
            add("mqtt.passwordFile", $"'{pf}' does not exist: write the broker password there (first line; chmod 0640, chgrp workerpool), or name an environment variable in mqtt.passwordEnv instead");
        if (m.PasswordFile is { Length: > 0 } && m.PasswordEnv is { Length: > 0 }) add("mqtt.passwordEnv", "give passwordFile or passwordEnv, not both");
        if (m.Tls is null) { add("mqtt.tls", "is required"); return; }
        ValidateTls(m, deviceId, add);
    }

    /// <summary>A bare host name or address: no scheme (mqtt://, mqtts://, tcp://, ssl://, ws://), port or path; those have fields of their own.</summary>
    private static void ValidateHost(string host, Action<string, string> add)
    {
        // The host is echoed in the message: a URL's password must not be.
        string shown = UrlUserInfo.Redact(host);
        if (SchemePrefix().Match(host) is { Success: true } url)
        {
            string scheme = url.Groups["scheme"].Value.ToLowerInvariant();
            string rest = url.Groups["rest"].Value;
            rest = rest[(rest.LastIndexOf('@') + 1)..];
            int slash = rest.IndexOfAny(['/', '?', '#']);
            if (slash >= 0) rest = rest[..slash];
            string bare = rest, port = "";
            if (HostWithPort().Match(rest) is { Success: true } hp) (bare, port) = (hp.Groups["host"].Value, hp.Groups["port"].Value);
            bool tls = scheme is "mqtts" or "ssl" or "tls" or "tcps" or "mqtt+ssl" or "wss";
            string portAdvice = port.Length > 0 ? $"mqtt.port: {port}" : tls ? "mqtt.port to the broker's TLS port (usually 8883)" : "mqtt.port (usually 1883)";
            string advice = scheme is "ws" or "wss"
                ? "MQTT over WebSockets is not supported: set mqtt.port to the broker's MQTT port (1883, or 8883 with mqtt.tls.enabled: true)"
                : tls ? $"set mqtt.tls.enabled: true and {portAdvice}" : $"set {portAdvice}";
            add("mqtt.host", $"'{shown}' has a scheme ({scheme}://): put the bare host name here (\"{bare}\"), and {advice}");
        }
        else if (host.IndexOfAny(['/', '?', '#', '@']) >= 0 || host.Any(char.IsWhiteSpace))
            add("mqtt.host", $"'{shown}' is not a host name: put the bare host name or address here, the port in mqtt.port and TLS in mqtt.tls");
        else if (HostWithPort().Match(host) is { Success: true } hp)
            add("mqtt.host", $"'{shown}' has a port: put the bare host name here (\"{hp.Groups["host"].Value}\") and the port in mqtt.port");
    }

    /// <summary>TLS settings that agree with each other, and TLS files that load and belong together.</summary>
    private static void ValidateTls(MqttOptions m, string deviceId, Action<string, string> add)
    {
        var t = m.Tls;
        var set = new[] { ("caFile", t.CaFile), ("certFile", t.CertFile), ("keyFile", t.KeyFile), ("serverName", t.ServerName) }
            .Where(f => !string.IsNullOrEmpty(f.Item2)).Select(f => "mqtt.tls." + f.Item1).ToList();
        if (!t.Enabled)
        {
            if (set.Count > 0)
                add("mqtt.tls.enabled", $"is false, but {string.Join(", ", set)} {(set.Count == 1 ? "is" : "are")} set: the device would connect without TLS and ignore " +
                    $"{(set.Count == 1 ? "it" : "them")}. Set mqtt.tls.enabled: true (and mqtt.port to the broker's TLS port, usually 8883), or remove {(set.Count == 1 ? "it" : "them")}");
            return;
        }
        if (!string.IsNullOrEmpty(t.CertFile) && string.IsNullOrEmpty(t.KeyFile))
            add("mqtt.tls.keyFile", "is required with mqtt.tls.certFile: certFile and keyFile go together (the client certificate and its private key)");
        else if (string.IsNullOrEmpty(t.CertFile) && !string.IsNullOrEmpty(t.KeyFile))
            add("mqtt.tls.certFile", "is required with mqtt.tls.keyFile: certFile and keyFile go together (the client certificate and its private key)");
        if (t.ServerName is { Length: > 0 } name && (name.Contains("://", StringComparison.Ordinal) || name.Any(char.IsWhiteSpace)))
            add("mqtt.tls.serverName", $"'{name}' is not a host name: give the name the broker's certificate carries");
        TlsFiles.Check(m, deviceId, add);
    }

    private static void ValidateAppliance(DeviceConfig config, Action<string, string> add)
    {
        if (config.Health is not { } h) add("health", "is required");
        else
        {
            if (h.StallSeconds is < 5 or > 3600) add("health.stallSeconds", "must be between 5 and 3600");
            if (h.CameraDownSeconds is < 1 or > 86400) add("health.cameraDownSeconds", "must be between 1 and 86400");
            if (h.File is { Length: 0 }) add("health.file", "must not be empty (leave it out for the default)");
        }
        if (config.Thermal is not { } t) add("thermal", "is required");
        else
        {
            if (t.ThrottleCelsius is < 0 or > 150) add("thermal.throttleCelsius", "must be between 0 (off) and 150");
            if (t.ResumeCelsius < 0 || (t.ThrottleCelsius > 0 && t.ResumeCelsius >= t.ThrottleCelsius))
                add("thermal.resumeCelsius", "must be below throttleCelsius (0 = 5 degrees below)");
            if (t.StepPercent is < 1 or > 90) add("thermal.stepPercent", "must be between 1 and 90");
            if (t.MinPercent is < 1 or > 100) add("thermal.minPercent", "must be between 1 and 100");
            if (t.PollSeconds is < 1 or > 600) add("thermal.pollSeconds", "must be between 1 and 600");
            if (t.HoldSeconds is < 0 or > 3600) add("thermal.holdSeconds", "must be between 0 and 3600");
            if (string.IsNullOrWhiteSpace(t.SysfsRoot)) add("thermal.sysfsRoot", "is required");
        }
        if (config.StatusLed is not { } led) add("statusLed", "is required");
        else if (led.Enabled)
        {
            if (led.Chip is < 0 or > 64) add("statusLed.chip", "must be between 0 and 64");
            if (led.Line is < 0 or > 1023) add("statusLed.line", "must be set (0-1023) when the LED is enabled");
        }
    }

    private static void ValidateFleet(FleetOptions? fleet, Action<string, string> add)
    {
        if (fleet is null) return;
        if (fleet.Group is not null && !FleetNamePattern().IsMatch(fleet.Group))
            add("fleet.group", "must be 1-64 letters, digits, '.', '-' or '_'");
        if (fleet.Tags is null) { add("fleet.tags", "must be a list (leave it out for none)"); return; }
        if (fleet.Tags.Count > 16) add("fleet.tags", $"has {fleet.Tags.Count} tags, at most 16 are allowed");
        for (int i = 0; i < fleet.Tags.Count; i++)
            if (!FleetNamePattern().IsMatch(fleet.Tags[i] ?? "")) add($"fleet.tags[{i}]", "must be 1-64 letters, digits, '.', '-' or '_'");
        foreach (var dup in fleet.Tags.Where(t => t is not null).GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1))
            add("fleet.tags", $"lists {dup.Key} more than once");
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex FleetNamePattern();

    /// <summary>What the service writes (the outbox and, beside it by default, its state) must be where the unit lets it write.</summary>
    private static void ValidateWritablePaths(DeviceConfig config, Action<string, string> add)
    {
        if (config.Outbox is { Path: { Length: > 0 } outbox } && ServiceUnit.WriteProblem(config.ResolvePath(outbox), config.BaseDirectory) is { } problem)
        {
            string given = outbox == new OutboxOptions().Path ? $"is not set, so it defaults to {outbox} beside the config: " : "";
            add("outbox.path", $"{given}{problem}: set outbox.path to {ServiceUnit.DeviceOutbox}");
        }
        if (config.Health is { File: { Length: > 0 } health } && ServiceUnit.WriteProblem(config.ResolvePath(health), config.BaseDirectory) is { } healthProblem)
            add("health.file", $"{healthProblem}: leave health.file out (it then goes beside the outbox)");
        if (config.Model is { EngineCachePath: { Length: > 0 } cache } && ServiceUnit.WriteProblem(config.ResolvePath(cache), config.BaseDirectory) is { } cacheProblem)
            add("model.engineCachePath", $"{cacheProblem}: leave model.engineCachePath out (it then goes beside the outbox)");
    }

    private static bool CheckPoint(string path, double[]? point, Action<string, string> add)
    {
        if (point is null || point.Length != 2) { add(path, "must be [x, y]"); return false; }
        if (point.Any(v => double.IsNaN(v) || v < 0 || v > 1)) { add(path, "coordinates must be between 0 and 1"); return false; }
        return true;
    }

    /// <summary>Loads a device config file and validates it; throws <see cref="ConfigException"/> listing every error.</summary>
    public static DeviceConfig LoadValid(string file)
    {
        var config = ConfigLoader.Load(file);
        var errors = Validate(config);
        if (errors.Count > 0) throw new ConfigException(errors);
        return config;
    }
}

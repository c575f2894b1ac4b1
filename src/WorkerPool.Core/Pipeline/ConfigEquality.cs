using WorkerPool.Config;

namespace WorkerPool.Pipeline;

/// <summary>
/// Structural equality of the config sections <see cref="PipelineRunner"/> compares to decide what a new config
/// changes: every setting of the section, lists and arrays element by element. The config classes are mutable and hold
/// lists, so reference equality would see every parsed config as changed, and record equality would too (it
/// compares lists by reference). A setting added to one of these sections must be added here as well; the unit
/// tests change every setting by reflection and fail on one this misses.
/// </summary>
internal static class ConfigEquality
{
    /// <summary>Same workers (device and cores, in order), queue size and inference timeout.</summary>
    public static bool SamePool(PoolOptions? a, PoolOptions? b) => Both(a, b, static (a, b) =>
        a.QueuePerCamera == b.QueuePerCamera && a.InferenceTimeoutMs == b.InferenceTimeoutMs
        && SameList(a.Workers, b.Workers, SameWorker));

    /// <summary>Same device and cores.</summary>
    public static bool SameWorker(WorkerOptions? a, WorkerOptions? b) => Both(a, b, static (a, b) =>
        a.Device == b.Device && SameList(a.Cores, b.Cores, static (x, y) => x == y));

    /// <summary>Same outbox file and limits.</summary>
    public static bool SameOutbox(OutboxOptions? a, OutboxOptions? b) => Both(a, b, static (a, b) =>
        a.Path == b.Path && a.MaxRecords == b.MaxRecords && a.MaxAgeHours == b.MaxAgeHours && a.MaxBytes == b.MaxBytes
        && a.MinFreeBytes == b.MinFreeBytes && a.MaxPendingInMemory == b.MaxPendingInMemory && a.ArchiveHours == b.ArchiveHours);

    /// <summary>Same broker, credentials, timings, TLS and limits.</summary>
    public static bool SameMqtt(MqttOptions? a, MqttOptions? b) => Both(a, b, static (a, b) =>
        a.Enabled == b.Enabled && a.Host == b.Host && a.Port == b.Port && a.ClientId == b.ClientId
        && a.TopicPrefix == b.TopicPrefix && a.KeepAliveSeconds == b.KeepAliveSeconds && a.HeartbeatSeconds == b.HeartbeatSeconds
        && a.BatchSize == b.BatchSize && a.MaxBackoffSeconds == b.MaxBackoffSeconds && a.TimeoutSeconds == b.TimeoutSeconds
        && a.AuthFailureBackoffSeconds == b.AuthFailureBackoffSeconds && a.Username == b.Username
        && a.PasswordFile == b.PasswordFile && a.PasswordEnv == b.PasswordEnv && a.MaxPayloadBytes == b.MaxPayloadBytes
        && a.SwitchTimeoutSeconds == b.SwitchTimeoutSeconds && SameTls(a.Tls, b.Tls));

    /// <summary>
    /// Same connection: what a remote change may move (broker address, client id, credentials, TLS, timings of one
    /// attempt), tried with a test connection first. Every other <c>mqtt</c> setting is read at start only.
    /// </summary>
    public static bool SameMqttConnection(MqttOptions? a, MqttOptions? b) => Both(a, b, static (a, b) =>
        a.Host == b.Host && a.Port == b.Port && a.ClientId == b.ClientId && a.KeepAliveSeconds == b.KeepAliveSeconds
        && a.TimeoutSeconds == b.TimeoutSeconds && a.SwitchTimeoutSeconds == b.SwitchTimeoutSeconds && a.Username == b.Username
        && a.PasswordFile == b.PasswordFile && a.PasswordEnv == b.PasswordEnv && SameTls(a.Tls, b.Tls));

    /// <summary>Same settings read at start only: every <c>mqtt</c> setting but the connection's (<see cref="SameMqttConnection"/>).</summary>
    public static bool SameMqttAtStart(MqttOptions? a, MqttOptions? b) => Both(a, b, static (a, b) =>
        a.Enabled == b.Enabled && a.TopicPrefix == b.TopicPrefix && a.HeartbeatSeconds == b.HeartbeatSeconds
        && a.BatchSize == b.BatchSize && a.MaxBackoffSeconds == b.MaxBackoffSeconds
        && a.AuthFailureBackoffSeconds == b.AuthFailureBackoffSeconds && a.MaxPayloadBytes == b.MaxPayloadBytes);

    /// <summary>Same TLS settings.</summary>
    public static bool SameTls(MqttTlsOptions? a, MqttTlsOptions? b) => Both(a, b, static (a, b) =>
        a.Enabled == b.Enabled && a.CaFile == b.CaFile && a.CertFile == b.CertFile && a.KeyFile == b.KeyFile && a.ServerName == b.ServerName
        && a.CertificateCnIsUsername == b.CertificateCnIsUsername);

    /// <summary>Same status LED line.</summary>
    public static bool SameStatusLed(StatusLedOptions? a, StatusLedOptions? b) => Both(a, b, static (a, b) =>
        a.Enabled == b.Enabled && a.Chip == b.Chip && a.Line == b.Line && a.ActiveLow == b.ActiveLow);

    /// <summary>
    /// Same source settings: everything a camera's reader and gate are built from, that is every camera setting but
    /// its lines and zones (those go to its counter in place).
    /// </summary>
    public static bool SameSource(CameraOptions? a, CameraOptions? b) => Both(a, b, static (a, b) =>
        a.Id == b.Id && a.Url == b.Url && a.Enabled == b.Enabled && a.Loop == b.Loop && a.Fps == b.Fps
        && a.Width == b.Width && a.Height == b.Height && a.StallTimeoutSeconds == b.StallTimeoutSeconds
        && a.Username == b.Username && a.PasswordFile == b.PasswordFile && a.PasswordEnv == b.PasswordEnv);

    private static bool Both<T>(T? a, T? b, Func<T, T, bool> same) where T : class =>
        ReferenceEquals(a, b) || (a is not null && b is not null && same(a, b));

    private static bool SameList<T>(List<T>? a, List<T>? b, Func<T, T, bool> same)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null || a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (!same(a[i], b[i])) return false;
        return true;
    }
}

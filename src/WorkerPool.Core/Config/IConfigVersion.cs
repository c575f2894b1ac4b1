namespace WorkerPool.Config;

/// <summary>Which config is in effect, as the heartbeat's <c>configVersion</c> says it: <c>"{appliedVersion}:{first 12 hex of effectiveHash}"</c>.</summary>
public interface IConfigVersion
{
    /// <summary>The current config version.</summary>
    string ConfigVersion { get; }
}

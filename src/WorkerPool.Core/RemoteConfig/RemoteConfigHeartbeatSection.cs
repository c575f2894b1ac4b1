using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.RemoteConfig;

/// <summary>
/// The heartbeat's <c>configVersion</c> (which config is in effect) and <c>security</c> (whether desired configs and
/// commands must be signed: the start-up config has a fleet key).
/// </summary>
public sealed class RemoteConfigHeartbeatSection(IConfigVersion version, DeviceConfig config) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        draft.ConfigVersion = version.ConfigVersion;
        draft.Security = new SecurityPayload(!string.IsNullOrEmpty(config.Security?.FleetPublicKey));
    }
}

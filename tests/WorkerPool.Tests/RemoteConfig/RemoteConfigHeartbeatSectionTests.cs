using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.RemoteConfig;

namespace WorkerPool.Tests.RemoteConfig;

public sealed class RemoteConfigHeartbeatSectionTests
{
    [Fact]
    public void WriteTo_WithAFleetKey_SaysConfigsAreVerifiedAndWhichIsInEffect()
    {
        var config = new DeviceConfig { Security = new SecurityOptions { FleetPublicKey = "-----BEGIN PUBLIC KEY-----" } };
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new RemoteConfigHeartbeatSection(new Version("7:0123456789ab"), config).WriteTo(draft);

        Assert.Equal(("7:0123456789ab", true), (draft.ConfigVersion, draft.Security!.Verified));
    }

    [Fact]
    public void WriteTo_WithoutAFleetKey_SaysConfigsAreNotVerified()
    {
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new RemoteConfigHeartbeatSection(new Version("0:0123456789ab"), new DeviceConfig()).WriteTo(draft);

        Assert.False(draft.Security!.Verified);
    }

    private sealed class Version(string version) : IConfigVersion
    {
        public string ConfigVersion => version;
    }
}

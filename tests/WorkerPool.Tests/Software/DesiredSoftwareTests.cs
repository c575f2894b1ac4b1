using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Software;

namespace WorkerPool.Tests.Software;

public sealed class DesiredSoftwareTests : IDisposable
{
    private readonly ECDsa _fleet = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly DesiredSoftware _decide = new("dev-1", new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero)));

    public void Dispose()
    {
        _decide.Dispose();
        _fleet.Dispose();
    }

    private DeviceConfig Config(bool updates = true, bool signed = true) => new()
    {
        DeviceId = "dev-1",
        Updates = new UpdatesOptions { Enabled = updates },
        Security = new SecurityOptions { FleetPublicKey = signed ? _fleet.ExportSubjectPublicKeyInfoPem() : null },
    };

    private byte[] Desired(string version = "1.1.0+bbb", string rollout = "r-1", string? manifestVersion = null, string device = "dev-1", bool sign = true, string url = "http://fleet:8080/releases/a.tar.gz")
    {
        string manifest = Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""{"version":"{{manifestVersion ?? version}}","rid":"linux-x64"}"""));
        var json = JsonSerializer.SerializeToNode(new SoftwareDesired(rollout, version, url, manifest, "MEUCIQ==", DateTimeOffset.UnixEpoch, null), ContractJsonContext.Default.SoftwareDesired)!.AsObject();
        if (sign) json["signature"] = FleetSignature.Sign(_fleet, SoftwareSignature.Bytes(device, json));
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [Fact]
    public void SignedNewerRelease_IsHandedToTheHelper_AsDownloading()
    {
        var d = _decide.Decide(Desired(), Config(), "1.0.0+aaa", null);

        Assert.Equal("1.1.0+bbb", d.Request?.Version);
        Assert.Equal(("downloading", "r-1", "1.0.0+aaa"), (d.State!.State, d.State.Rollout, d.State.Running));
    }

    [Fact]
    public void Unsigned_OrSignedForAnotherDevice_IsRefusedSayingWhy_AndNothingIsRequested()
    {
        var unsigned = _decide.Decide(Desired(sign: false), Config(), "1.0.0+aaa", null);
        var other = _decide.Decide(Desired(device: "dev-2"), Config(), "1.0.0+aaa", null);

        Assert.Null(unsigned.Request);
        Assert.Equal("refused", unsigned.State!.State);
        Assert.Contains("unsigned", unsigned.State.Reason, StringComparison.Ordinal);
        Assert.Null(other.Request);
        Assert.Contains("does not verify", other.State!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ARolloutAlreadyHandled_IsLeftAlone_SoARolledBackReleaseIsNotTriedAgainAtTheNextStart()
    {
        var rolledBack = new SoftwareState("rolled-back", "1.1.0+bbb", "1.0.0+aaa", "r-1", "did not report healthy", null);

        var d = _decide.Decide(Desired(), Config(), "1.0.0+aaa", rolledBack);

        Assert.Null(d.Request);
        Assert.Null(d.State);
        Assert.Contains("already handled", d.Note, StringComparison.Ordinal);
        Assert.NotNull(_decide.Decide(Desired(rollout: "r-2"), Config(), "1.0.0+aaa", rolledBack).Request); // a new rollout is tried
    }

    [Fact]
    public void UpdatesOff_TheRunningVersion_OrAManifestForAnotherVersion_RequestNothing()
    {
        Assert.Contains("updates.enabled", _decide.Decide(Desired(), Config(updates: false), "1.0.0+aaa", null).State!.Reason, StringComparison.Ordinal);
        var running = _decide.Decide(Desired(), Config(), "1.1.0+bbb", null);
        Assert.Equal(("healthy", null), (running.State!.State, running.Request));
        Assert.Contains("manifest is for 9.9.9", _decide.Decide(Desired(manifestVersion: "9.9.9"), Config(), "1.0.0+aaa", null).State!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file:///etc/shadow")]
    [InlineData("http://fleet/a b.tar.gz")]
    [InlineData("http://fleet/a.tar.gz\nversion=0")]
    public void AUrlThatIsNotPlainHttp_IsIgnored_BeforeAnythingIsWritten(string url)
    {
        var d = _decide.Decide(Desired(url: url), Config(), "1.0.0+aaa", null);

        Assert.Equal((null, null), (d.Request, d.State));
        Assert.Contains("url", d.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Spool_WritesARequestOfPlainLines_AndRefusesAValueWithALineBreak()
    {
        using var dir = new TempFolder();
        var spool = new UpdateSpool(dir.Path);

        spool.WriteRequest(UpdateAction.Update, "r-1", "1.1.0+bbb", "http://fleet/a.tar.gz", "eyJ9", "MEUC");

        Assert.Equal(["action=update", "rollout=r-1", "version=1.1.0+bbb", "url=http://fleet/a.tar.gz", "manifest=eyJ9", "signature=MEUC"], File.ReadAllLines(spool.RequestPath));
        Assert.Throws<ArgumentException>(() => spool.WriteRequest(UpdateAction.Update, "r-1\naction=decommission"));
        Assert.Null(spool.ReadState("1.0.0"));
        File.WriteAllText(spool.StatePath, "{not json");
        Assert.Equal("failed", spool.ReadState("1.0.0")!.State); // an unreadable state says so, never idle
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("wp-spool").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

using System.Security.Cryptography;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>update.sh --manifest: a signed release.json and its archive, verified before anything changes (docs/FLEET.md "Signed releases").</summary>
[Collection(DeployCollection.Name)]
public sealed class SignedReleaseTests : IAsyncDisposable
{
    private readonly FakeDevice _device = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public async ValueTask DisposeAsync()
    {
        _key.Dispose();
        await _device.DisposeAsync();
    }

    private Task InstallAsync(string version) => _device.InstallTrustingAsync(version, _key);

    private Task<string> SignedAsync(string version, string rid = "linux-x64") =>
        _device.PackReleaseAsync(_device.FakeRelease(version, "healthy"), rid, _key);

    /// <summary>update.sh --manifest exits 1 with <paramref name="message"/>, and the device is as it was.</summary>
    private async Task AssertRefusedAsync(string manifest, string message)
    {
        string before = _device.CurrentVersion;
        string[] releases = _device.Releases;
        int calls = _device.SystemctlCalls.Length;

        var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "20", "--manifest", manifest);

        Assert.True(code == 1, stderr);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n'), l => l.Contains("refused:", StringComparison.Ordinal));
        Assert.Equal(before, _device.CurrentVersion);
        Assert.Equal(releases, _device.Releases);
        Assert.Equal(calls, _device.SystemctlCalls.Length);
        Assert.Empty(Directory.GetDirectories(_device.Path("opt", "workerpool"), ".staging*"));
    }

    [Fact]
    public async Task SignedManifest_OfANewerRelease_UnpacksIt_SwitchesToIt_AndWaitsForItToReportHealthy()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await SignedAsync("1.1.0+bbb");

        var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "20", "--manifest", manifest);

        Assert.True(code == 0, stderr);
        Assert.Contains("signature, size and sha256 verified", stderr, StringComparison.Ordinal);
        Assert.Contains("1.1.0+bbb is healthy", stderr, StringComparison.Ordinal);
        Assert.Equal("1.1.0+bbb", _device.CurrentVersion);
        Assert.Contains("\"version\":\"1.1.0+bbb\"", _device.Health, StringComparison.Ordinal);
        Assert.Equal(["1.0.0+aaa", "1.1.0+bbb"], _device.Releases);
        Assert.Empty(Directory.GetDirectories(_device.Path("opt", "workerpool"), ".staging*"));
        Assert.True(File.Exists(_device.Path("opt", "workerpool", "releases", "1.1.0+bbb", "deploy", "update.sh")));

        // The same manifest again: already current, nothing to do (as update.sh RELEASE_DIR says it).
        int calls = _device.SystemctlCalls.Length;
        (code, stderr) = await _device.RunAsync("update.sh", "--manifest", manifest);
        Assert.True(code == 0, stderr);
        Assert.Contains("1.1.0+bbb is already the current release", stderr, StringComparison.Ordinal);
        Assert.Equal(calls, _device.SystemctlCalls.Length);
    }

    [Fact]
    public async Task Manifest_WhoseArchiveHadOneByteChanged_IsRefusedOnItsSha256()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await SignedAsync("1.1.0+bbb");
        string archive = Directory.GetFiles(Path.GetDirectoryName(manifest)!, "*.tar.gz").Single();
        byte[] bytes = File.ReadAllBytes(archive);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(archive, bytes);

        await AssertRefusedAsync(manifest, "refused: the sha256 of " + archive);
    }

    [Fact]
    public async Task Manifest_ChangedAfterItWasSigned_IsRefused()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await SignedAsync("1.1.0+bbb");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("1.1.0+bbb", "9.0.0+bbb", StringComparison.Ordinal));

        await AssertRefusedAsync(manifest, "refused: the signature on " + manifest + " does not verify");
    }

    [Fact]
    public async Task Manifest_SignedWithAnotherKey_IsRefused()
    {
        await InstallAsync("1.0.0+aaa");
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string manifest = await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", other);

        await AssertRefusedAsync(manifest, "refused: the signature on " + manifest + " does not verify");
    }

    [Fact]
    public async Task UnsignedManifest_IsRefused()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", signingKey: null);

        await AssertRefusedAsync(manifest, $"refused: {manifest} is unsigned (no release.json.sig beside it)");
    }

    [Fact]
    public async Task ReplayedManifest_OfAnOlderRelease_IsRefused()
    {
        await InstallAsync("1.0.0+aaa");
        string old = await SignedAsync("1.0.0+aaa");
        var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "20", "--manifest", await SignedAsync("1.10.0+bbb"));
        Assert.True(code == 0, stderr);

        // 1.10 is newer than 1.9 (sort -V), and both than 1.0: the release that ran before, validly signed, is refused.
        string older = await SignedAsync("1.9.0+ccc");
        await AssertRefusedAsync(older, $"refused: {older} is for 1.9.0+ccc, older than the current 1.10.0+bbb");
        await AssertRefusedAsync(old, $"refused: {old} is for 1.0.0+aaa, older than the current 1.10.0+bbb (a replayed manifest?)");
    }

    [Fact]
    public async Task Manifest_ForAnotherRuntime_IsRefused()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await SignedAsync("1.1.0+bbb", rid: "linux-arm64");

        await AssertRefusedAsync(manifest, $"refused: {manifest} is a release for linux-arm64, this device runs linux-x64");
    }
}

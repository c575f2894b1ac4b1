using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>
/// The root update helper (deploy-scripts/update-agent.sh) on its own: the request the service would write, a release
/// served over HTTP from this test, and the state it records for the service to publish (docs/FLEET.md, "Rolling out
/// a release"). Every refusal is reported with its reason and changes nothing.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class UpdateAgentTests : IAsyncDisposable
{
    private readonly FakeDevice _device = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FileServer _server = new();

    public async ValueTask DisposeAsync()
    {
        _server.Dispose();
        _key.Dispose();
        await _device.DisposeAsync();
    }

    private Task InstallAsync(string version) => _device.InstallTrustingAsync(version, _key);

    /// <summary>Writes the request the service would, for <paramref name="manifest"/>, its archive served at the URL.</summary>
    private void Request(string manifest, string version, string? url = null)
    {
        string archive = Path.Combine(Path.GetDirectoryName(manifest)!, $"workerpool-{version}-linux-x64.tar.gz");
        url ??= _server.Serve(archive);
        string sig = File.Exists(manifest + ".sig") ? File.ReadAllText(manifest + ".sig").Trim() : "";
        Directory.CreateDirectory(_device.Path("var", "lib", "workerpool", "update"));
        File.WriteAllText(_device.Path("var", "lib", "workerpool", "update", "request"),
            $"action=update\nrollout=r-1\nversion={version}\nurl={url}\nmanifest={Convert.ToBase64String(File.ReadAllBytes(manifest))}\nsignature={sig}\n");
    }

    private async Task<(int Code, string Stderr, JsonElement State)> RunAgentAsync()
    {
        var (code, stderr) = await _device.RunInstalledAsync("update-agent.sh", "--timeout", "20");
        Assert.False(File.Exists(_device.Path("var", "lib", "workerpool", "update", "request")), "the request is done with");
        Assert.True(_device.SoftwareState is not null, stderr);
        return (code, stderr, JsonDocument.Parse(_device.SoftwareState!).RootElement.Clone());
    }

    private async Task AssertRefusedAsync(string reason)
    {
        string before = _device.CurrentVersion;
        var releases = _device.Releases;
        var (code, stderr, state) = await RunAgentAsync();
        Assert.True(code == 1, stderr);
        Assert.Equal(("refused", "r-1"), (state.GetProperty("state").GetString(), state.GetProperty("rollout").GetString()));
        Assert.Contains(reason, state.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, state.GetProperty("running").GetString());
        Assert.Equal(before, _device.CurrentVersion);
        Assert.Equal(releases, _device.Releases);
    }

    [Fact]
    public async Task SignedNewerRelease_IsDownloadedInstalledAndReportedHealthy()
    {
        await InstallAsync("1.0.0+aaa");
        Request(await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", _key), "1.1.0+bbb");

        var (code, stderr, state) = await RunAgentAsync();

        Assert.True(code == 0, stderr);
        Assert.Equal(("healthy", "1.1.0+bbb", "1.1.0+bbb"), (state.GetProperty("state").GetString(), state.GetProperty("version").GetString(), state.GetProperty("running").GetString()));
        Assert.Equal("1.1.0+bbb", _device.CurrentVersion);
        Assert.Empty(Directory.GetFiles(_device.Path("opt", "workerpool", ".download"), "*.tar.gz")); // unpacked, so not kept
    }

    [Fact]
    public async Task DownloadCutOffMidway_IsResumedWithARangeRequest_NotStartedAgain()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", _key);
        _server.CutFirstResponseAfter = 100;
        Request(manifest, "1.1.0+bbb");

        var (code, stderr, state) = await RunAgentAsync();

        Assert.True(code == 0, stderr);
        Assert.Equal("healthy", state.GetProperty("state").GetString());
        Assert.Contains(_server.Ranges, r => r.StartsWith("bytes=100-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ArchiveWithOneByteChanged_IsRefusedOnItsSha256_AndReported()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", _key);
        string archive = Directory.GetFiles(Path.GetDirectoryName(manifest)!, "*.tar.gz").Single();
        byte[] bytes = File.ReadAllBytes(archive);
        bytes[^10] ^= 0xff;
        File.WriteAllBytes(archive, bytes);
        Request(manifest, "1.1.0+bbb");

        await AssertRefusedAsync("the sha256 of");
    }

    [Fact]
    public async Task ManifestChangedAfterSigning_IsRefusedBeforeAnythingIsDownloaded()
    {
        await InstallAsync("1.0.0+aaa");
        string manifest = await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", _key);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"size\": ", "\"size\": 1", StringComparison.Ordinal));
        Request(manifest, "1.1.0+bbb");

        await AssertRefusedAsync("does not verify");
        Assert.Equal(0, _server.Requests);
    }

    [Fact]
    public async Task UnsignedManifest_IsRefused()
    {
        await InstallAsync("1.0.0+aaa");
        Request(await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", signingKey: null), "1.1.0+bbb");

        await AssertRefusedAsync("does not verify");
        Assert.Equal(0, _server.Requests);
    }

    [Fact]
    public async Task ReplayedManifestOfAnOlderRelease_IsRefused()
    {
        string older = await _device.PackReleaseAsync(_device.FakeRelease("0.9.0+zzz", "healthy"), "linux-x64", _key);
        await InstallAsync("1.0.0+aaa");
        Request(older, "0.9.0+zzz");

        await AssertRefusedAsync("older than the current 1.0.0+aaa");
    }

    [Theory]
    [InlineData("file:///etc/shadow")]
    [InlineData("http://example/a b")]
    public async Task UrlThatIsNotPlainHttp_IsRefused_EvenIfTheServiceWroteIt(string url)
    {
        await InstallAsync("1.0.0+aaa");
        Request(await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "healthy"), "linux-x64", _key), "1.1.0+bbb", url);

        await AssertRefusedAsync("not a plain http(s) URL");
    }

    [Fact]
    public async Task ReleaseThatNeverTurnsHealthy_IsRolledBackAndReportedWithTheReason()
    {
        await InstallAsync("1.0.0+aaa");
        Request(await _device.PackReleaseAsync(_device.FakeRelease("1.1.0+bbb", "crash"), "linux-x64", _key), "1.1.0+bbb");

        var (code, stderr, state) = await RunAgentAsync();

        Assert.True(code == 1, stderr);
        Assert.Equal(("rolled-back", "1.1.0+bbb", "1.0.0+aaa"), (state.GetProperty("state").GetString(), state.GetProperty("version").GetString(), state.GetProperty("running").GetString()));
        Assert.Contains("did not report healthy within 20 s; rolled back to 1.0.0+aaa", state.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
    }

    [Fact]
    public async Task Decommission_StopsAndDisablesTheService_AndWipesItsPrivateKeys()
    {
        await InstallAsync("1.0.0+aaa");
        File.WriteAllText(_device.Path("etc", "workerpool", "device.key"), "-----BEGIN PRIVATE KEY-----\n");
        Directory.CreateDirectory(_device.Path("var", "lib", "workerpool", "tls"));
        File.WriteAllText(_device.Path("var", "lib", "workerpool", "tls", "pending.key"), "-----BEGIN PRIVATE KEY-----\n");
        File.WriteAllText(_device.Path("var", "lib", "workerpool", "update", "request"), "action=decommission\n");

        var (code, stderr, state) = await RunAgentAsync();

        Assert.True(code == 0, stderr);
        Assert.Equal("decommissioned", state.GetProperty("state").GetString());
        Assert.Contains("disable --now workerpool", _device.SystemctlCalls);
        Assert.False(File.Exists(_device.Path("etc", "workerpool", "device.key")));
        Assert.False(File.Exists(_device.Path("var", "lib", "workerpool", "tls", "pending.key")));
        Assert.True(File.Exists(_device.Path("etc", "workerpool", "config.json"))); // kept until uninstall --purge
    }

    /// <summary>Serves files on loopback with range requests, optionally cutting the first response short.</summary>
    private sealed class FileServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
        private readonly List<string> _ranges = [];
        private int _requests;

        public FileServer()
        {
            Port = Infrastructure.RtspServer.FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public int Port { get; }

        public int CutFirstResponseAfter { get; set; } = -1;

        public int Requests => Volatile.Read(ref _requests);

        public IReadOnlyList<string> Ranges { get { lock (_ranges) return [.. _ranges]; } }

        public string Serve(string file)
        {
            lock (_files) _files["/" + Path.GetFileName(file)] = file;
            return $"http://127.0.0.1:{Port}/{Path.GetFileName(file)}";
        }

        private async Task LoopAsync()
        {
            for (int i = 0; i < 100 && _listener.IsListening; i++)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
                int n = Interlocked.Increment(ref _requests);
                string? file;
                lock (_files) _files.TryGetValue(context.Request.Url!.AbsolutePath, out file);
                var response = context.Response;
                if (file is null) { response.StatusCode = 404; response.Close(); continue; }
                byte[] bytes = File.ReadAllBytes(file);
                int from = 0;
                if (context.Request.Headers["Range"] is { } range)
                {
                    lock (_ranges) _ranges.Add(range);
                    from = int.Parse(range["bytes=".Length..].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
                    response.StatusCode = 206;
                    response.AddHeader("Content-Range", $"bytes {from}-{bytes.Length - 1}/{bytes.Length}");
                }
                response.AddHeader("Accept-Ranges", "bytes");
                response.ContentLength64 = bytes.Length - from;
                try
                {
                    if (n == 1 && CutFirstResponseAfter >= 0)
                    {
                        await response.OutputStream.WriteAsync(bytes.AsMemory(from, CutFirstResponseAfter));
                        await response.OutputStream.FlushAsync();
                        response.Abort(); // the link drops mid-download
                        continue;
                    }
                    await response.OutputStream.WriteAsync(bytes.AsMemory(from));
                    response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException) { response.Abort(); }
            }
        }

        public void Dispose() => _listener.Close();
    }
}

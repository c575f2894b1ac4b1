using System.Text.Json.Nodes;
using WorkerPool.Config.Validation;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Service;

/// <summary><c>workerpool check</c>, and the native-library overrides a Jetson uses (docs/JETSON.md).</summary>
/// <remarks>Certificates are made in the test (<see cref="TestPki"/>), dated from now, so expiry is seen as it will be on a device.</remarks>
public sealed class CheckCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string BundledOnnxRuntime =>
        Repo.Path("src", "WorkerPool.Host", "bin", "Release", "net10.0", "runtimes", "linux-x64", "native", "libonnxruntime.so");

    [Fact]
    public async Task Check_GpuWorkerOnACpuOnlyRuntime_PassesButWarnsItWillRunOnTheCpu()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "gpu.json", c =>
            c["pool"]!["workers"] = new JsonArray(new JsonObject { ["device"] = "tensorrt:0", ["cores"] = new JsonArray(0) }));

        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains("config OK: device demo-01, 1 camera(s), workers [tensorrt:0], model yolox_nano", stdout);
        // Beside the outbox by default: what update.sh waits on.
        Assert.Contains("health file: " + Path.Combine(Path.GetDirectoryName(config)!, "health.json"), stdout);
        Assert.Contains(stdout, l => l.StartsWith("ONNX Runtime 1.", StringComparison.Ordinal) && l.Contains("(bundled): CPUExecutionProvider", StringComparison.Ordinal));
        Assert.Contains(stdout, l => l.StartsWith("OpenCV 4.", StringComparison.Ordinal) && l.EndsWith("(bundled)", StringComparison.Ordinal));
        Assert.Contains(stdout, l => l.StartsWith("warning: tensorrt:0 needs TensorrtExecutionProvider", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_PersistedRemoteConfigNoLongerValid_SaysSo_ButLeavesItWhereItIs()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "run.json", _ => { });
        File.WriteAllText(_dir.File("remote-config.json"), """{"version": 2, "overlay": {"pool": {"workers": [{"device": "cpu", "cores": [4000]}]}}}""");

        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains(stdout, l => l.StartsWith("notice: Remote config version 2 no longer validates", StringComparison.Ordinal));
        Assert.True(File.Exists(_dir.File("remote-config.json")));
        Assert.False(File.Exists(_dir.File("remote-config.json.discarded")));
    }

    [Fact]
    public async Task OnnxRuntimeTelemetry_IsOff_NothingIsKeptUnderHome()
    {
        string home = _dir.File("home");
        Directory.CreateDirectory(home);
        var (code, _, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, new Dictionary<string, string> { ["HOME"] = home },
            TimeSpan.FromMinutes(2), "check", "--config", Repo.DemoConfig);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Empty(Directory.GetFileSystemEntries(home)); // ONNX Runtime's uploader keeps a device id and events in ~/.cache when on
        Assert.DoesNotContain(stderr, l => l.Contains("telemetry", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Check_InvalidConfig_ExitsTwoNamingTheField()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "bad.json", c => c["thermal"] = new JsonObject { ["throttleCelsius"] = 500 });
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("thermal.throttleCelsius", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnnxRuntimeOverride_LoadsTheNamedLibrary()
    {
        // Stands in for JetPack's GPU build: a copy of the bundled library somewhere else.
        string copy = _dir.File("libonnxruntime.so");
        File.Copy(BundledOnnxRuntime, copy);
        var env = new Dictionary<string, string> { ["WORKERPOOL_ONNXRUNTIME"] = copy };

        var (code, stdout, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, env, TimeSpan.FromMinutes(2), "check", "--config", Repo.DemoConfig);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains(stdout, l => l.Contains($"({copy}): CPUExecutionProvider", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("WORKERPOOL_ONNXRUNTIME", "ONNX Runtime")]
    [InlineData("WORKERPOOL_OPENCVSHARP_EXTERN", "OpenCvSharpExtern")]
    public async Task NativeOverrideThatIsNotALibrary_StopsRunAtStartWithExitThree(string variable, string named)
    {
        string broken = _dir.File("broken.so");
        File.WriteAllText(broken, "not an ELF file");
        string config = ConfigFiles.DeriveFromDemo(_dir, "run.json", _ => { });
        var (code, _, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, new Dictionary<string, string> { [variable] = broken },
            TimeSpan.FromMinutes(2), "run", "--config", config);
        Assert.Equal(3, code);
        Assert.Contains(stderr, l => l.Contains($"{named} ({broken}) does not load", StringComparison.Ordinal));
        Assert.Contains(stderr, l => l.Contains("docs/JETSON.md", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("WORKERPOOL_ONNXRUNTIME")]
    [InlineData("WORKERPOOL_OPENCVSHARP_EXTERN")]
    public async Task NativeOverrideToAMissingFile_StopsAtStartSayingWhich(string variable)
    {
        var env = new Dictionary<string, string> { [variable] = "/nonexistent/lib.so" };
        var (code, _, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, env, TimeSpan.FromMinutes(2), "check", "--config", Repo.DemoConfig);
        Assert.Equal(2, code);
        Assert.Contains($"{variable}=/nonexistent/lib.so: no such file", stderr);
    }

    private static bool UserExists(string name) => UnixAccounts.Load().Find(name) is not null;

    /// <summary>A demo-derived config talking TLS to a broker, with a CA and a client certificate for demo-01 made here.</summary>
    private string TlsConfig(string name, TestPki pki, (string Cert, string Key) client, Action<JsonObject>? edit = null) =>
        ConfigFiles.DeriveFromDemo(_dir, name, c =>
        {
            c["mqtt"]!["enabled"] = true;
            c["mqtt"]!["port"] = 8883;
            c["mqtt"]!["tls"] = new JsonObject { ["enabled"] = true, ["caFile"] = pki.CaFile, ["certFile"] = client.Cert, ["keyFile"] = client.Key };
            edit?.Invoke(c);
        });

    [SkippableFact]
    public async Task Check_InACheckoutWithoutTheServiceUser_PassesAGoodConfig_SayingReadabilityWasNotChecked()
    {
        Skip.If(UserExists(ServiceUnit.User), "this machine has a workerpool user");
        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", ConfigFiles.DeriveFromDemo(_dir, "ok.json", _ => { }));
        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains(stdout, l => l.StartsWith("notice: there is no user workerpool here", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_KeyTheServiceUserCannotRead_IsRefused_WhileItsOwnerPasses()
    {
        var now = DateTimeOffset.UtcNow;
        using var pki = new TestPki(_dir.File("pki"), now.AddDays(-1));
        var client = pki.Client("demo-01", "demo-01", now.AddDays(-1), now.AddDays(90));
        File.SetUnixFileMode(client.Key, UnixFileMode.UserRead | UnixFileMode.UserWrite); // 0600, as make-certs.sh leaves it
        string config = TlsConfig("tls.json", pki, client);

        // nobody: an unprivileged user every Linux has, standing in for workerpool.
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config, "--service-user", "nobody");
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains($"mqtt.tls.keyFile: the service user nobody cannot read '{client.Key}' (mode 0600", StringComparison.Ordinal)
            && l.Contains($"chgrp nobody '{client.Key}' && chmod g+r '{client.Key}'", StringComparison.Ordinal));

        // The files' owner reads them: the same config passes for it.
        string owner = Environment.UserName;
        var (okCode, stdout, okErr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config, "--service-user", owner);
        Assert.True(okCode == 0, string.Join("\n", okErr));
        Assert.Contains(stdout, l => l.StartsWith($"service user {owner}: can read the files the config names", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_ServiceUserThatDoesNotExist_IsAnError()
    {
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", ConfigFiles.DeriveFromDemo(_dir, "ok.json", _ => { }),
            "--service-user", "workerpool-no-such-user");
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("--service-user: there is no user 'workerpool-no-such-user' on this machine", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_CertificatesNearTheirEnd_PassWithAWarning_AndAnExpiredOneFails()
    {
        var now = DateTimeOffset.UtcNow;
        // The CA's year ends in 10 days; one client certificate within it, one that ended yesterday.
        using var pki = new TestPki(_dir.File("pki"), now.AddDays(10).AddYears(-1));
        var good = pki.Client("demo-01", "demo-01", now.AddDays(-30), now.AddDays(9));
        var expired = pki.Client("old", "demo-01", now.AddDays(-30), now.AddDays(-1));

        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", TlsConfig("near.json", pki, good));
        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains(stdout, l => l.StartsWith("warning: mqtt.tls.caFile: ", StringComparison.Ordinal) && l.Contains("the CA certificate expires on", StringComparison.Ordinal));
        Assert.Contains(stdout, l => l.StartsWith("warning: mqtt.tls.certFile: ", StringComparison.Ordinal) && l.Contains("renew it before then", StringComparison.Ordinal));

        var (expiredCode, _, expiredErr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", TlsConfig("expired.json", pki, expired));
        Assert.Equal(2, expiredCode);
        Assert.Contains(expiredErr, l => l.Contains("mqtt.tls.certFile: ", StringComparison.Ordinal) && l.Contains("the client certificate expired on", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_ConfigThatWouldFailOnTheDevice_NamesEachProblemWithWhatToDo()
    {
        var now = DateTimeOffset.UtcNow;
        using var pki = new TestPki(_dir.File("pki"), now.AddDays(-1));
        var client = pki.Client("demo-01", "demo-01", now.AddDays(-1), now.AddDays(90));
        var other = pki.Client("other", "demo-02", now.AddDays(-1), now.AddDays(90));
        File.WriteAllText(_dir.File("empty-ca.crt"), "");
        string config = TlsConfig("broken.json", pki, (client.Cert, other.Key), c =>
        {
            c["mqtt"]!["host"] = "mqtts://broker.example.com";
            c["mqtt"]!["tls"]!["caFile"] = _dir.File("empty-ca.crt");
            c["counting"]!["windowSeconds"] = 45;
            c["outbox"]!["path"] = "/etc/workerpool/data/outbox.db";
            c["cameras"]![0]!["url"] = "rtsp://admin:hunter2@192.0.2.10/stream1";
        });

        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);

        Assert.Equal(2, code);
        string all = string.Join("\n", stderr);
        Assert.Contains("mqtt.host: 'mqtts://broker.example.com' has a scheme (mqtts://): put the bare host name here (\"broker.example.com\"), and set mqtt.tls.enabled: true", all, StringComparison.Ordinal);
        Assert.Contains($"mqtt.tls.caFile: '{_dir.File("empty-ca.crt")}' is empty: copy the broker's CA certificate there, or make a test CA with deploy-scripts/make-certs.sh", all, StringComparison.Ordinal);
        Assert.Contains($"mqtt.tls.keyFile: '{other.Key}' is not the key of '{client.Cert}'", all, StringComparison.Ordinal);
        Assert.Contains("counting.windowSeconds: 45 s windows do not tile minutes, hours and days", all, StringComparison.Ordinal);
        Assert.Contains("outbox.path: '/etc/workerpool/data/outbox.db' is under /etc, which the service cannot write", all, StringComparison.Ordinal);
        Assert.Contains("set outbox.path to /var/lib/workerpool/outbox.db", all, StringComparison.Ordinal);
        Assert.Contains("cameras[0].url: holds a password (rtsp://admin:***@192.0.2.10/stream1)", all, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", all + string.Join("\n", stdout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TlsOffWithCertificateFiles_IsRefusedAsContradictory()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "tls-off.json", c =>
        {
            c["mqtt"]!["enabled"] = true;
            c["mqtt"]!["tls"] = new JsonObject { ["enabled"] = false, ["certFile"] = "/etc/workerpool/device.crt", ["keyFile"] = "/etc/workerpool/device.key" };
        });
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("mqtt.tls.enabled: is false, but mqtt.tls.certFile, mqtt.tls.keyFile are set", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_MisspelledField_SuggestsTheRightName()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "typo.json", c => c["counting"]!["windowSecond"] = 60);
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains("  $.counting.windowSecond: invalid config JSON: unknown field counting.windowSecond; did you mean windowSeconds?", stderr);
    }

    [Fact]
    public async Task Check_WrongType_IsNamedAsAJsonType()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "type.json", c => c["pool"]!["workers"]![0]!["cores"] = "0");
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains("  $.pool.workers[0].cores: invalid config JSON: pool.workers[0].cores is a string; expected an array of whole numbers", stderr);
        Assert.DoesNotContain(stderr, l => l.Contains("System.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_SyntaxError_GivesTheLineAndColumn()
    {
        string config = _dir.File("syntax.json");
        File.WriteAllText(config, "{\n  \"deviceId\": \"demo-01\",\n  \"counting\": { \"windowSeconds\": x }\n}\n");
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.StartsWith("  $: invalid config JSON at line 3, column 34: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InstallScript_OnADevice_ChecksAsTheServiceUser_ThroughReleaseCheck()
    {
        // release_check hands the arguments after the version to the release's check.
        string root = _dir.File("root");
        string release = Path.Combine(root, "opt", "workerpool", "releases", "v1");
        Directory.CreateDirectory(release);
        string argsFile = _dir.File("args.txt");
        File.WriteAllText(Path.Combine(release, "workerpool"), $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{argsFile}'\necho 'health file: /x/health.json'\n");
        File.SetUnixFileMode(Path.Combine(release, "workerpool"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string script = $". '{Repo.Path("deploy-scripts", "release-lib.sh")}'; ROOT='{root}'; layout; release_check v1 --service-user workerpool";
        var (code, _, stderr) = await HostProcess.RunFileAsync("bash", null, TimeSpan.FromMinutes(1), "-c", script);
        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Equal(["check", "--config", Path.Combine(root, "etc", "workerpool", "config.json"), "--service-user", "workerpool"], File.ReadAllLines(argsFile));

        // install.sh runs as root, which reads everything: on a device it names the unit's user.
        string install = File.ReadAllText(Repo.Path("deploy-scripts", "install.sh"));
        Assert.Contains("if on_device; then check_args=(--service-user workerpool); fi", install, StringComparison.Ordinal);
        Assert.Contains("release_check \"$version\" ${check_args[@]+\"${check_args[@]}\"}", install, StringComparison.Ordinal);
    }
}

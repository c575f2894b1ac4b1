using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using WorkerPool.Health;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.IntegrationTests.Replay;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>Runs <c>deploy-scripts/publish.sh RID</c> once for the tests that use its output.</summary>
public abstract class PublishFixture(string rid) : IAsyncLifetime
{
    public string Rid => rid;
    public string Dir => Repo.Path("artifacts", rid);
    public string Binary => Path.Combine(Dir, "workerpool");
    public int ExitCode { get; private set; }
    public string[] Stdout { get; private set; } = [];
    public string Stderr { get; private set; } = "";

    private readonly TempDir _keys = new();

    /// <summary>The public half of the key the release was signed with (RELEASE_SIGNING_KEY), made with openssl as docs/FLEET.md says.</summary>
    public string PublicKey => _keys.File("release-public.pem");

    public async Task InitializeAsync()
    {
        string ec = _keys.File("ec.pem"), key = _keys.File("release-private.pem");
        foreach (string[] args in (string[][])[["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec],
                     ["pkcs8", "-topk8", "-nocrypt", "-in", ec, "-out", key], ["ec", "-in", key, "-pubout", "-out", PublicKey]])
        {
            var made = await HostProcess.RunFileAsync("openssl", null, TimeSpan.FromMinutes(1), args);
            Assert.True(made.Code == 0, string.Join("\n", made.Stderr));
        }
        string[] stderr;
        (ExitCode, Stdout, stderr) = await HostProcess.RunFileAsync(Repo.Path("deploy-scripts", "publish.sh"),
            new Dictionary<string, string> { ["RELEASE_SIGNING_KEY"] = key }, TimeSpan.FromMinutes(8), rid);
        Stderr = string.Join("\n", stderr);
    }

    /// <summary>publish.sh succeeded and said nothing about warnings (it fails on any, but says why first).</summary>
    public void AssertPublishedCleanly()
    {
        Assert.True(ExitCode == 0, Stderr);
        Assert.DoesNotContain("warning", Stderr, StringComparison.OrdinalIgnoreCase);
    }

    public Task DisposeAsync()
    {
        _keys.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class PublishX64Fixture() : PublishFixture("linux-x64");

public sealed class PublishArm64Fixture() : PublishFixture("linux-arm64");

/// <summary>The trimmed, self-contained x64 release: same counts as the untrimmed build, a real service, a real install.</summary>
[Collection(DeployCollection.Name)]
public sealed class PublishedX64Tests(PublishX64Fixture published) : IClassFixture<PublishX64Fixture>, IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Publish_SucceedsWithoutTrimWarnings_AndReportsItsSizeBreakdown()
    {
        published.AssertPublishedCleanly();
        foreach (var row in new[] { "our code", "ONNX Runtime", "OpenCV", "total" })
            Assert.Contains(published.Stdout, l => l.Contains(row, StringComparison.Ordinal));
        foreach (var file in new[] { "workerpool", "libonnxruntime.so", "libOpenCvSharpExtern.so", "models/yolox_nano.onnx", "VERSION",
                     "deploy/install.sh", "deploy/update.sh", "deploy/uninstall.sh", "deploy/systemd/workerpool.service", "deploy/config.json",
                     "deploy/jetson/setup-jetson.sh", "deploy/install-deps.sh", "deploy/README.txt", "RID", "release.json", "release.json.sig" })
            Assert.True(File.Exists(Path.Combine(published.Dir, file)), file + " is missing from the release");
    }

    [Fact]
    public async Task Publish_WritesAManifestOfTheArchiveBesideIt_SignedSoOpensslVerifiesIt()
    {
        published.AssertPublishedCleanly();
        Assert.Contains("signed artifacts/linux-x64/release.json", published.Stderr, StringComparison.Ordinal);
        string manifest = Path.Combine(published.Dir, "release.json");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(manifest));
        var m = json.RootElement;
        string version = File.ReadAllText(Path.Combine(published.Dir, "VERSION")).Trim();
        Assert.Equal(version, m.GetProperty("version").GetString());
        Assert.Equal("linux-x64", m.GetProperty("rid").GetString());
        Assert.Equal("linux-x64", File.ReadAllText(Path.Combine(published.Dir, "RID")).Trim());
        string archive = m.GetProperty("archive").GetString()!;
        Assert.Equal($"workerpool-{version}-linux-x64.tar.gz", archive);
        string path = Path.Combine(published.Dir, archive); // the archive resolves beside release.json
        Assert.Equal(new FileInfo(path).Length, m.GetProperty("size").GetInt64());
        using (var stream = File.OpenRead(path))
            Assert.Equal(Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream)), m.GetProperty("sha256").GetString());

        // As docs/FLEET.md says to check it by hand.
        var verify = await HostProcess.RunFileAsync("bash", null, TimeSpan.FromMinutes(1), "-c",
            "cd \"$2\" && openssl dgst -sha256 -verify \"$1\" -signature <(base64 -d release.json.sig) release.json", "verify", published.PublicKey, published.Dir);
        Assert.True(verify.Code == 0, string.Join("\n", verify.Stdout.Concat(verify.Stderr)));
        Assert.Contains("Verified OK", verify.Stdout);

        // The archive holds the release tree at its top level (and not itself, nor its manifest).
        var list = await HostProcess.RunFileAsync("tar", null, TimeSpan.FromMinutes(2), "-tzf", path);
        Assert.Equal(0, list.Code);
        Assert.Contains("./workerpool", list.Stdout);
        Assert.Contains("./VERSION", list.Stdout);
        Assert.Contains("./deploy/update.sh", list.Stdout);
        Assert.DoesNotContain(list.Stdout, l => l.EndsWith(".tar.gz", StringComparison.Ordinal) || l.Contains("release.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TrimmedReplay_CountsExactlyWhatTheUntrimmedBuildCounts()
    {
        string[] args = ["replay", "--config", Repo.DemoConfig, "--camera", "vtest", "--video", Repo.Sample];
        var trimmed = await HostProcess.RunFileAsync(published.Binary, null, TimeSpan.FromMinutes(5), args);
        var untrimmed = await HostProcess.RunAsync(TimeSpan.FromMinutes(5), args);

        Assert.True(trimmed.Code == 0, string.Join("\n", trimmed.Stderr));
        Assert.Equal(0, untrimmed.Code);
        var a = ReplaySummary.Parse(trimmed.Stdout[^1]);
        var b = ReplaySummary.Parse(untrimmed.Stdout[^1]);
        Assert.Equal(795, a.Frames);
        Assert.Equal(b.Frames, a.Frames);
        Assert.Equal(b.Lines, a.Lines);
        Assert.Equal(b.Zones, a.Zones);
    }

    [Fact]
    public async Task TrimmedRun_PublishesSchemaValidCountsToALocalBroker_AndReportsHealthy()
    {
        using var broker = new MosquittoBroker();
        broker.Start();
        string config = ConfigFiles.DeriveServiceConfig(_dir, "service.json", broker.Port, c => c["mqtt"]!["heartbeatSeconds"] = 1);
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(broker.Port, "workerpool/demo-01/#");
        await using var host = HostProcess.StartFile(published.Binary, null, "run", "--config", config);

        var got = await probe.WaitForAsync(ms => ms.Any(m => m.Topic.Contains("/counts/", StringComparison.Ordinal)) && ms.Any(m => m.Topic.EndsWith("/heartbeat", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(90), "a count record and a heartbeat");
        Assert.Empty(SchemaCheck.Validate("count-record.schema.json", got.First(m => m.Topic.Contains("/counts/", StringComparison.Ordinal)).Json));
        Assert.Empty(SchemaCheck.Validate("heartbeat.schema.json", got.Last(m => m.Topic.EndsWith("/heartbeat", StringComparison.Ordinal)).Json));
        Assert.Equal(File.ReadAllText(Path.Combine(published.Dir, "VERSION")).Trim(), HealthFile.Read(_dir.File("health.json"))!.Version);

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain(host.Stderr, l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InstallScript_InstallsTheRealRelease_AndWaitsForItToReportHealthy()
    {
        await using var device = new FakeDevice();
        string config = ConfigFiles.DeriveFromDemo(_dir, "device.json", c =>
        {
            c["outbox"]!["path"] = device.Path("var", "lib", "workerpool", "outbox.db");
            c["cameras"]![0]!["fps"] = 5;
        });

        // The demo's config has no fleet key: install.sh starts it only when told so.
        var (code, stderr) = await device.RunAsync("install.sh", "--config", config, "--insecure", "--timeout", "120", published.Dir);

        Assert.True(code == 0, stderr + "\n" + File.ReadAllText(device.Path("service.log")));
        string version = File.ReadAllText(Path.Combine(published.Dir, "VERSION")).Trim();
        Assert.Contains($"{version} installed and healthy", stderr, StringComparison.Ordinal);
        Assert.Equal(version, device.CurrentVersion);
        Assert.Contains("\"state\":\"healthy\"", device.Health, StringComparison.Ordinal);
        Assert.True(File.Exists(device.UnitDocumentation), device.UnitDocumentation + " (the unit's Documentation=) is missing");
        // The archive and manifest beside the tree in artifacts/RID/ are not copied into the release.
        string installed = device.Path("opt", "workerpool", "releases", version);
        Assert.Empty(Directory.GetFiles(installed, "*.tar.gz").Concat(Directory.GetFiles(installed, "release.json*")));

        (code, stderr) = await device.RunAsync("uninstall.sh");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"state\":\"stopped\"", device.Health, StringComparison.Ordinal); // stopped cleanly by SIGTERM
    }
}

/// <summary>The trimmed, self-contained ARM64 release: an AArch64 executable whose managed part is complete.</summary>
[Collection(DeployCollection.Name)]
public sealed class PublishedArm64Tests(PublishArm64Fixture published) : IClassFixture<PublishArm64Fixture>, IDisposable
{
    private const string Qemu = "/usr/bin/qemu-aarch64-static";

    /// <summary>
    /// qemu-user's view of the host for the emulated process (<c>-L</c>): the host's files, except an ARM
    /// <c>/proc/cpuinfo</c>. qemu 7 passes the host's x86 one through, and ONNX Runtime's CPU detection (cpuinfo)
    /// then finds no ARM processors and dereferences NULL while it maps the host's sysfs cache topology onto them:
    /// a segfault on some machines and not on others, by their topology (seen: every run on a 2-CPU VM).
    /// </summary>
    private static class Arm64Sysroot
    {
        public static string Create(string dir)
        {
            // qemu looks an absolute path up under the sysroot first and falls back to the host's: one file is enough.
            Directory.CreateDirectory(Path.Combine(dir, "proc"));
            int cpus = PossibleCpus();
            var text = new System.Text.StringBuilder();
            for (int i = 0; i < cpus; i++)
                text.Append($"processor\t: {i}\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics cpuid asimdrdm lrcpc dcpop asimddp\n" +
                    "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n");
            File.WriteAllText(Path.Combine(dir, "proc", "cpuinfo"), text.ToString());
            return dir;
        }

        /// <summary>CPUs the kernel lists as possible (sysfs "0-3,5"): cpuinfo sizes its tables from that list.</summary>
        private static int PossibleCpus()
        {
            int max = 0;
            foreach (var part in File.ReadAllText("/sys/devices/system/cpu/possible").Trim().Split(','))
                max = Math.Max(max, int.Parse(part.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture));
            return max + 1;
        }
    }

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Publish_SucceedsWithoutTrimWarnings_AndTheBinaryIsAnAArch64Executable()
    {
        published.AssertPublishedCleanly();
        Assert.Contains("no libOpenCvSharpExtern.so bundled for linux-arm64", published.Stderr, StringComparison.Ordinal);

        foreach (var native in new[] { "workerpool", "libonnxruntime.so", "libcoreclr.so" })
        {
            byte[] header = File.ReadAllBytes(Path.Combine(published.Dir, native))[..20];
            Assert.Equal("\x7F" + "ELF", System.Text.Encoding.ASCII.GetString(header, 0, 4));
            Assert.Equal(2, header[4]); // 64-bit
            Assert.Equal(0xB7, BitConverter.ToUInt16(header, 18)); // e_machine: EM_AARCH64
        }
    }

    [Fact]
    public void ManagedPart_EveryAssemblyReferenceResolvesInsideTheRelease()
    {
        var present = Directory.GetFiles(published.Dir, "*.dll").Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Contains("WorkerPool.Core", present);
        Assert.Contains("Microsoft.ML.OnnxRuntime", present);
        var missing = new List<string>();
        foreach (var dll in Directory.GetFiles(published.Dir, "*.dll"))
        {
            using var pe = new PEReader(File.OpenRead(dll));
            if (!pe.HasMetadata) continue;
            var md = pe.GetMetadataReader();
            foreach (var handle in md.AssemblyReferences)
            {
                string name = md.GetString(md.GetAssemblyReference(handle).Name);
                if (!present.Contains(name)) missing.Add($"{Path.GetFileName(dll)} -> {name}");
            }
        }
        Assert.Empty(missing);
    }

    [SkippableFact]
    public async Task UnderQemu_PrintsItsVersion_AndValidatesAConfig()
    {
        Skip.IfNot(File.Exists(Qemu) && File.Exists("/usr/lib/aarch64-linux-gnu/libstdc++.so.6") && File.Exists("/usr/lib/aarch64-linux-gnu/libssl.so.3"),
            "qemu-user-static and the arm64 C++ runtime and OpenSSL are not installed (deploy-scripts/install-deps.sh test installs them on Debian)");
        string version = File.ReadAllText(Path.Combine(published.Dir, "VERSION")).Trim();
        string sysroot = Arm64Sysroot.Create(_dir.File("sysroot"));

        var run = await HostProcess.RunFileAsync(Qemu, null, TimeSpan.FromMinutes(3), "-L", sysroot, published.Binary, "--version");
        Assert.True(run.Code == 0, string.Join("\n", run.Stderr));
        Assert.Equal(version, Assert.Single(run.Stdout));

        // The config validates (model included, through the arm64 ONNX Runtime); then the one thing this release lacks
        // by design, OpenCV's extern for ARM64, is named with what to do (exit 3, which systemd does not retry).
        string config = ConfigFiles.DeriveFromDemo(_dir, "arm64.json", _ => { });
        run = await HostProcess.RunFileAsync(Qemu, null, TimeSpan.FromMinutes(5), "-L", sysroot, published.Binary, "check", "--config", config);
        Assert.True(run.Code == 3, string.Join("\n", run.Stdout.Concat(run.Stderr)));
        Assert.Contains(run.Stdout, l => l.StartsWith("config OK: device demo-01", StringComparison.Ordinal));
        Assert.Contains(run.Stderr, l => l.Contains("OpenCvSharpExtern (bundled) does not load", StringComparison.Ordinal));
        Assert.Contains(run.Stderr, l => l.Contains("build-opencvsharp-extern.sh", StringComparison.Ordinal));

        string bad = ConfigFiles.DeriveFromDemo(_dir, "bad.json", c => c["deviceId"] = "no spaces allowed");
        run = await HostProcess.RunFileAsync(Qemu, null, TimeSpan.FromMinutes(5), "-L", sysroot, published.Binary, "check", "--config", bad);
        Assert.Equal(2, run.Code);
        Assert.Contains(run.Stderr, l => l.Contains("deviceId", StringComparison.Ordinal));
    }
}

using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>install.sh, update.sh and uninstall.sh into a temporary root, with stand-in releases and a fake systemctl.</summary>
[Collection(DeployCollection.Name)]
public sealed class DeployScriptTests : IAsyncDisposable
{
    private readonly FakeDevice _device = new();

    public ValueTask DisposeAsync() => _device.DisposeAsync();

    private async Task InstallAsync(string version)
    {
        var (code, stderr) = await _device.RunAsync("install.sh", "--timeout", "20", _device.FakeRelease(version, "healthy"));
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public async Task Install_LaysOutTheTree_StartsTheService_AndRunningItAgainKeepsTheEditedConfig()
    {
        await InstallAsync("1.0.0+aaa");

        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.True(File.Exists(_device.Path("opt", "workerpool", "current", "workerpool")));
        Assert.True(File.Exists(_device.Path("etc", "workerpool", "config.json")));
        Assert.True(File.Exists(_device.Path("etc", "workerpool", "workerpool.env")));
        Assert.True(File.Exists(_device.Path("etc", "systemd", "system", "workerpool.service")));
        Assert.True(Directory.Exists(_device.Path("var", "lib", "workerpool")));
        Assert.Equal(["daemon-reload", "enable workerpool", "enable --now workerpool-update.path", "reset-failed workerpool", "restart workerpool --no-block"], _device.SystemctlCalls);
        // The root update helper's units beside the service's: the path unit waits for the service's requests.
        Assert.True(File.Exists(_device.Path("etc", "systemd", "system", "workerpool-update.path")));
        Assert.True(File.Exists(_device.Path("etc", "systemd", "system", "workerpool-update.service")));
        Assert.True(Directory.Exists(_device.Path("var", "lib", "workerpool", "update")));
        Assert.Contains("\"version\":\"1.0.0+aaa\"", _device.Health, StringComparison.Ordinal);
        Assert.True(File.Exists(_device.UnitDocumentation), _device.UnitDocumentation + " (the unit's Documentation=) is missing");

        File.WriteAllText(_device.Path("etc", "workerpool", "config.json"), "{ \"deviceId\": \"edited-on-site\" }\n");
        await InstallAsync("1.0.0+aaa");
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.Equal(["1.0.0+aaa"], _device.Releases);
        Assert.Contains("edited-on-site", File.ReadAllText(_device.Path("etc", "workerpool", "config.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_ThatStoppedForTheConfig_LeavesItLaidOut_AndTheNextInstallEnablesAndStartsIt()
    {
        var (code, stderr) = await _device.RunAsync("install.sh", "--timeout", "20", _device.FakeRelease("1.0.0+aaa", "refuse-config"));
        Assert.Equal(1, code);
        Assert.Contains("is installed but not started: fix", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("enable workerpool", _device.SystemctlCalls);

        (code, stderr) = await _device.RunAsync("install.sh", "--timeout", "20", _device.FakeRelease("1.0.1+bbb", "healthy"));

        Assert.True(code == 0, stderr);
        Assert.Equal("1.0.1+bbb", _device.CurrentVersion);
        Assert.Contains("enable workerpool", _device.SystemctlCalls);
        Assert.Contains("\"version\":\"1.0.1+bbb\"", _device.Health, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_ToAHealthyRelease_SwitchesToIt_KeepsThePrevious_AndPrunesOlderOnes()
    {
        await InstallAsync("1.0.0+aaa");
        foreach (var version in new[] { "1.1.0+bbb", "1.2.0+ccc", "1.3.0+ddd" })
        {
            var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "20", _device.FakeRelease(version, "healthy"));
            Assert.True(code == 0, stderr);
            Assert.Equal(version, _device.CurrentVersion);
            Assert.Contains($"\"version\":\"{version}\"", _device.Health, StringComparison.Ordinal);
        }
        // KEEP_RELEASES=2: the current one and the one before it stay, for a manual rollback.
        Assert.Equal(["1.2.0+ccc", "1.3.0+ddd"], _device.Releases);
    }

    [Fact]
    public async Task Update_ToAReleaseThatNeverComesUpHealthy_RollsBackAutomatically()
    {
        await InstallAsync("1.0.0+aaa");

        var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "5", _device.FakeRelease("2.0.0+bad", "crash"));

        Assert.Equal(1, code);
        Assert.Contains("did not report healthy within 5 s; rolling back to 1.0.0+aaa", stderr, StringComparison.Ordinal);
        Assert.Contains("rolled back: 1.0.0+aaa is running and healthy again", stderr, StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.Contains("\"version\":\"1.0.0+aaa\"", _device.Health, StringComparison.Ordinal);
        Assert.Equal(["1.0.0+aaa", "2.0.0+bad"], _device.Releases); // kept for a look at why
        Assert.Equal(3, _device.SystemctlCalls.Count(c => c == "restart workerpool --no-block"));
    }

    private async Task UpdateAsync(string version)
    {
        var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "20", _device.FakeRelease(version, "healthy"));
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public async Task Rollback_SwitchesBackToTheReleaseBeforeTheLastUpdate_AndWaitsForItToReportHealthy()
    {
        await InstallAsync("1.0.0+aaa");
        await UpdateAsync("1.1.0+bbb");
        int restartsBefore = _device.SystemctlCalls.Count(c => c == "restart workerpool --no-block");

        var (code, stderr) = await _device.RunInstalledAsync("update.sh", "--rollback", "--timeout", "20");

        Assert.True(code == 0, stderr);
        Assert.Contains("rolling back from 1.1.0+bbb to 1.0.0+aaa", stderr, StringComparison.Ordinal);
        Assert.Contains("rolled back: 1.0.0+aaa is running and healthy", stderr, StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.Contains("\"version\":\"1.0.0+aaa\"", _device.Health, StringComparison.Ordinal);
        Assert.Equal(restartsBefore + 1, _device.SystemctlCalls.Count(c => c == "restart workerpool --no-block"));
        Assert.Equal(["1.0.0+aaa", "1.1.0+bbb"], _device.Releases); // the one left stays

        // A second rollback goes further back, not forward again to the release just left: here there is nothing.
        (code, stderr) = await _device.RunInstalledAsync("update.sh", "--rollback", "--timeout", "20");
        Assert.Equal(1, code);
        Assert.Contains("nothing to roll back to: no release is recorded as running before 1.0.0+aaa", stderr, StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
    }

    [Fact]
    public async Task Rollback_WithNoEarlierRelease_IsRefusedAndChangesNothing()
    {
        await InstallAsync("1.0.0+aaa");
        int callsBefore = _device.SystemctlCalls.Length;

        var (code, stderr) = await _device.RunInstalledAsync("update.sh", "--rollback");

        Assert.Equal(1, code);
        Assert.Contains("nothing to roll back to: 1.0.0+aaa is the only release", stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", stderr, StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.Equal(callsBefore, _device.SystemctlCalls.Length);

        // A release that was kept after an update that rolled back by itself never ran: it is no rollback target,
        // even though it is the newest one there.
        (code, _) = await _device.RunAsync("update.sh", "--timeout", "3", _device.FakeRelease("2.0.0+bad", "crash"));
        Assert.Equal(1, code);
        callsBefore = _device.SystemctlCalls.Length;

        (code, stderr) = await _device.RunInstalledAsync("update.sh", "--rollback");

        Assert.Equal(1, code);
        Assert.Contains("nothing to roll back to: no release is recorded as running before 1.0.0+aaa", stderr, StringComparison.Ordinal);
        Assert.Contains("2.0.0+bad", stderr, StringComparison.Ordinal); // named, with how to switch to it anyway
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.Equal(callsBefore, _device.SystemctlCalls.Length);
    }

    [Fact]
    public async Task Rollback_ToAReleaseThatNoLongerComesUpHealthy_SwitchesForwardAgainToTheCurrentOne()
    {
        await InstallAsync("1.0.0+aaa");
        await UpdateAsync("1.1.0+bbb");
        _device.BreakInstalledRelease("1.0.0+aaa");

        var (code, stderr) = await _device.RunInstalledAsync("update.sh", "--rollback", "--timeout", "5");

        Assert.Equal(1, code);
        Assert.Contains("1.0.0+aaa did not report healthy within 5 s; switching forward again to 1.1.0+bbb", stderr, StringComparison.Ordinal);
        Assert.Contains("not rolled back: 1.1.0+bbb is running and healthy again", stderr, StringComparison.Ordinal);
        Assert.Equal("1.1.0+bbb", _device.CurrentVersion);
        Assert.Contains("\"version\":\"1.1.0+bbb\"", _device.Health, StringComparison.Ordinal);
        Assert.Equal(["1.0.0+aaa", "1.1.0+bbb"], _device.Releases);
    }

    [Fact]
    public async Task Update_WithTheHealthFileSetElsewhereInTheConfig_WaitsOnThatFile()
    {
        await InstallAsync("1.0.0+aaa");
        string elsewhere = _device.Path("run", "workerpool", "health.json");
        Directory.CreateDirectory(Path.GetDirectoryName(elsewhere)!);
        File.WriteAllText(_device.Path("etc", "workerpool", "config.json"), $$"""{ "deviceId": "fake-01", "health": { "file": "{{elsewhere}}" } }""" + "\n");

        var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "20", _device.FakeRelease("1.1.0+bbb", "healthy"));

        Assert.True(code == 0, stderr);
        Assert.Equal("1.1.0+bbb", _device.CurrentVersion);
        Assert.Contains("\"version\":\"1.1.0+bbb\"", File.ReadAllText(elsewhere), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("../../etc")]
    [InlineData("1.0 beta")]
    public async Task Update_ReleaseWhoseVersionIsNotAVersion_IsRefusedAndChangesNothing(string versionFile)
    {
        await InstallAsync("1.0.0+aaa");
        int callsBefore = _device.SystemctlCalls.Length;

        var (code, stderr) = await _device.RunAsync("update.sh", _device.FakeReleaseWithVersionFile("odd", versionFile));

        Assert.Equal(1, code);
        Assert.Contains("is not a release version", stderr, StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.Equal(["1.0.0+aaa"], _device.Releases);
        Assert.Equal(callsBefore, _device.SystemctlCalls.Length);
    }

    [Fact]
    public async Task Update_ToAReleaseThatRefusesTheConfig_ChangesNothing()
    {
        await InstallAsync("1.0.0+aaa");
        int callsBefore = _device.SystemctlCalls.Length;

        var (code, stderr) = await _device.RunAsync("update.sh", _device.FakeRelease("2.0.0+strict", "refuse-config"));

        Assert.Equal(1, code);
        Assert.Contains("config refused by 2.0.0+strict", stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", stderr, StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion);
        Assert.Equal(callsBefore, _device.SystemctlCalls.Length);
    }

    [Fact]
    public async Task Update_ChecksTheNewReleaseInTheServicesEnvironment()
    {
        // On a Jetson the OpenCV extern is named only in workerpool.env: the pre-flight check must see it too.
        await InstallAsync("1.0.0+aaa");
        File.AppendAllText(_device.Path("etc", "workerpool", "workerpool.env"), "WORKERPOOL_OPENCVSHARP_EXTERN=/opt/workerpool/native/libOpenCvSharpExtern.so\n");

        var (code, stderr) = await _device.RunAsync("update.sh", "--timeout", "20", _device.FakeRelease("1.1.0+jetson", "needs-env"));

        Assert.True(code == 0, stderr);
        Assert.Equal("1.1.0+jetson", _device.CurrentVersion);
    }

    [Fact]
    public async Task Update_WithoutAnInstall_OrFromSomethingThatIsNotARelease_IsRefused()
    {
        var (code, stderr) = await _device.RunAsync("update.sh", _device.FakeRelease("1.0.0+aaa", "healthy"));
        Assert.Equal(1, code);
        Assert.Contains("run install.sh first", stderr, StringComparison.Ordinal);

        await InstallAsync("1.0.0+aaa");
        (code, stderr) = await _device.RunAsync("update.sh", Repo.Path("models"));
        Assert.Equal(1, code);
        Assert.Contains("is not a release directory", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uninstall_RemovesReleasesAndUnit_KeepsConfigAndData_PurgeRemovesThemToo()
    {
        await InstallAsync("1.0.0+aaa");
        File.WriteAllText(_device.Path("var", "lib", "workerpool", "outbox.db"), "unsent records");

        var (code, stderr) = await _device.RunAsync("uninstall.sh");
        Assert.True(code == 0, stderr);
        Assert.False(Directory.Exists(_device.Path("opt", "workerpool")));
        Assert.False(File.Exists(_device.Path("etc", "systemd", "system", "workerpool.service")));
        Assert.True(File.Exists(_device.Path("var", "lib", "workerpool", "outbox.db")));
        Assert.True(File.Exists(_device.Path("etc", "workerpool", "config.json")));
        Assert.Contains("disable --now workerpool", _device.SystemctlCalls);

        (code, stderr) = await _device.RunAsync("uninstall.sh", "--purge");
        Assert.True(code == 0, stderr);
        Assert.False(Directory.Exists(_device.Path("var", "lib", "workerpool")));
        Assert.False(Directory.Exists(_device.Path("etc", "workerpool")));
    }

    /// <summary>Counts one record into the outbox where the installed config keeps it (appliance.json: /var/lib/workerpool/outbox.db); returns its seq.</summary>
    private long CountOneRecord()
    {
        using var outbox = WorkerPool.Outbox.CountOutbox.Open(_device.Path("var", "lib", "workerpool", "outbox.db"), new WorkerPool.Config.OutboxOptions(),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        return outbox.Append(new WorkerPool.Contracts.CountRecord
        {
            DeviceId = "fake-01", CameraId = "door", WindowStart = DateTimeOffset.UnixEpoch, WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(1),
        })!.Seq;
    }

    [Fact]
    public async Task Reinstall_KeepsTheOutboxAndItsSeqLedger_SoSeqContinues_OnlyAPurgeStartsItAgain()
    {
        await InstallAsync("1.0.0+aaa");
        Assert.Equal([1L, 2L], new[] { CountOneRecord(), CountOneRecord() });

        await InstallAsync("1.0.0+aaa"); // install.sh over the install
        Assert.Equal(3, CountOneRecord());
        await InstallAsync("1.1.0+bbb"); // a newer release through install.sh: an update
        Assert.Equal(4, CountOneRecord());
        var (code, stderr) = await _device.RunAsync("uninstall.sh");
        Assert.True(code == 0, stderr);
        await InstallAsync("1.2.0+ccc"); // uninstalled, then installed again
        Assert.Equal(5, CountOneRecord());

        (code, stderr) = await _device.RunAsync("uninstall.sh", "--purge");
        Assert.True(code == 0, stderr);
        await InstallAsync("1.2.0+ccc");
        Assert.Equal(1, CountOneRecord()); // the data directory, ledger and all, is gone: a new numbering (docs/TELEMETRY.md)
    }

    [Fact]
    public async Task SetupJetson_PointsTheEnvironmentFileAtTheBoardsLibraries_OnceEach()
    {
        await InstallAsync("1.0.0+aaa");
        foreach (var lib in new[] { "opt/onnxruntime-gpu/lib/libonnxruntime.so", "opt/workerpool/native/libOpenCvSharpExtern.so" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_device.Path(lib))!);
            File.WriteAllText(_device.Path(lib), "stand-in");
        }
        string script = Repo.Path("deploy-scripts", "jetson", "setup-jetson.sh");
        string[] args = ["--root", _device.Root, "--onnxruntime", "/opt/onnxruntime-gpu/lib/libonnxruntime.so",
            "--opencvsharp-extern", "/opt/workerpool/native/libOpenCvSharpExtern.so"];
        for (int run = 0; run < 2; run++)
        {
            var (code, _, stderr) = await HostProcess.RunFileAsync(script, null, TimeSpan.FromMinutes(1), args);
            Assert.True(code == 0, string.Join("\n", stderr));
        }

        var lines = File.ReadAllLines(_device.Path("etc", "workerpool", "workerpool.env")).Where(l => !l.StartsWith('#')).ToArray();
        Assert.Equal(["WORKERPOOL_ONNXRUNTIME=/opt/onnxruntime-gpu/lib/libonnxruntime.so",
            "WORKERPOOL_OPENCVSHARP_EXTERN=/opt/workerpool/native/libOpenCvSharpExtern.so",
            "LD_LIBRARY_PATH=/opt/onnxruntime-gpu/lib:/usr/local/cuda/lib64:/usr/lib/aarch64-linux-gnu/tegra"], lines.Where(l => l.Length > 0));

        var missing = await HostProcess.RunFileAsync(script, null, TimeSpan.FromMinutes(1), "--root", _device.Root, "--onnxruntime", "/nowhere/libonnxruntime.so");
        Assert.Equal(1, missing.Code);
        Assert.Contains(missing.Stderr, l => l.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RuntimeDependencies_IncludeWhatTheRootUpdateHelperRuns_OnAMinimalDebian()
    {
        // A minimal Debian (the systemd smoke test's) had no curl and no openssl after install.sh: every remote update
        // would have failed. install-deps.sh runtime is run here against a fake dpkg that has nothing installed.
        using var dir = new TempDir();
        string bin = dir.File("bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "dpkg-query"), "#!/bin/sh\nexit 1\n");
        File.WriteAllText(Path.Combine(bin, "apt-get"), "#!/bin/sh\necho \"$*\" >>'" + dir.File("apt.log") + "'\n");
        foreach (var f in new[] { "dpkg-query", "apt-get" }) File.SetUnixFileMode(Path.Combine(bin, f), (UnixFileMode)0x1ED);
        var (code, _, stderr) = await HostProcess.RunFileAsync(Repo.Path("deploy-scripts", "install-deps.sh"),
            new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") }, TimeSpan.FromMinutes(1), "runtime");
        Assert.True(code == 0, string.Join("\n", stderr));

        string install = File.ReadAllLines(dir.File("apt.log")).Single(l => l.StartsWith("install", StringComparison.Ordinal));
        var packages = install.Split(' ');
        foreach (string needed in new[] { "curl", "openssl", "ca-certificates", "ffmpeg" }) Assert.Contains(needed, packages);
    }

    [Fact]
    public async Task EveryShellScript_PassesShellcheck()
    {
        var scripts = Directory.GetFiles(Repo.Path("deploy-scripts"), "*.sh").Append(Repo.Path("deploy-scripts", "workerpool"))
            .Concat(Directory.GetFiles(Repo.Path("deploy-scripts", "jetson"), "*.sh")).ToArray();
        var (code, stdout, stderr) = await HostProcess.RunFileAsync("shellcheck", null, TimeSpan.FromMinutes(2), ["-x", .. scripts]);
        Assert.True(code == 0, string.Join("\n", stdout.Concat(stderr)));
    }

    [Fact]
    public void OperatorCard_FitsAn80ColumnTerminal_AndGivesTheCommandsTheScriptsAndUnitUse()
    {
        var card = File.ReadAllLines(Repo.Path("deploy-scripts", "README.txt"));
        Assert.InRange(card.Length, 1, 80);
        Assert.All(card, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        string text = string.Join("\n", card);
        string unit = File.ReadAllText(Repo.Path("deploy-scripts", "systemd", "workerpool.service"));
        Assert.Contains("ExecStart=/opt/workerpool/current/workerpool run --config /etc/workerpool/config.json", unit, StringComparison.Ordinal);
        foreach (var expected in new[] { "/opt/workerpool/current/workerpool check", "--config /etc/workerpool/config.json",
                     "/opt/workerpool/current/deploy/update.sh --rollback", "uninstall.sh [--purge]", "journalctl -u workerpool",
                     "/etc/workerpool/workerpool.env", "/var/lib/workerpool/health.json", "docs/TELEMETRY.md" })
            Assert.Contains(expected, text, StringComparison.Ordinal);
    }

    [Fact]
    public void SystemdUnit_LetsTheServiceReadWhetherTheClockIsSynchronised()
    {
        // ProtectClock= installs a seccomp filter that denies adjtimex(2) even read-only: the device would then always
        // say its clock is not synchronised (and mark every count record so). The service user cannot set the clock
        // anyway: it has no CAP_SYS_TIME.
        var settings = File.ReadLines(Repo.Path("deploy-scripts", "systemd", "workerpool.service")).Where(l => !l.StartsWith('#')).ToArray();
        Assert.DoesNotContain(settings, l => l.StartsWith("ProtectClock=yes", StringComparison.Ordinal));
        Assert.DoesNotContain(settings, l => l.Contains("CAP_SYS_TIME", StringComparison.Ordinal));
    }

    [Fact]
    public void SystemdUnit_WritesNoCoreDump_WhichWouldHoldCameraFrames()
    {
        var settings = File.ReadLines(Repo.Path("deploy-scripts", "systemd", "workerpool.service")).Where(l => !l.StartsWith('#')).ToArray();
        Assert.Contains("LimitCORE=0", settings);
    }

    [Fact]
    public async Task Install_ConfigWithoutAFleetKey_IsLaidOutButNotStarted_UnlessToldInsecure()
    {
        string release = _device.FakeRelease("1.0.0+aaa", "unsigned");
        var (code, stderr) = await _device.RunAsync("install.sh", "--timeout", "20", release);
        Assert.NotEqual(0, code);
        Assert.Contains("has no security.fleetPublicKey", stderr, StringComparison.Ordinal);
        Assert.Contains("--insecure", stderr, StringComparison.Ordinal);
        Assert.Equal("1.0.0+aaa", _device.CurrentVersion); // laid out, like a config that needs editing
        Assert.DoesNotContain("enable workerpool", _device.SystemctlCalls);

        (code, stderr) = await _device.RunAsync("install.sh", "--insecure", "--timeout", "20", release);
        Assert.True(code == 0, stderr);
        Assert.Contains("installed and healthy", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SystemdUnit_IsHardened_NoCapabilitiesASyscallAllowListAndOnlyItsDevices()
    {
        Skip.IfNot(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is not installed");
        string unit = Repo.Path("deploy-scripts", "systemd", "workerpool.service");
        var lines = File.ReadAllLines(unit);
        foreach (string directive in (string[])["CapabilityBoundingSet=", "SystemCallFilter=@system-service", "ProtectProc=invisible", "DevicePolicy=closed", "ReadOnlyPaths=/run/lock /dev/shm",
            "DeviceAllow=char-video4linux rw", "DeviceAllow=char-gpiochip rw"])
            Assert.Contains(directive, lines);

        var (code, stdout, stderr) = await HostProcess.RunFileAsync("/usr/bin/systemd-analyze", null, TimeSpan.FromMinutes(1), "security", "--offline=true", "--no-pager", unit);
        string overall = stdout.Concat(stderr).Last(l => l.Contains("Overall exposure level", StringComparison.Ordinal));
        double exposure = double.Parse(System.Text.RegularExpressions.Regex.Match(overall, @"(\d+\.\d+)").Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.5, $"exit {code}: {overall}");
    }

    [SkippableFact]
    public async Task SystemdUnit_PassesSystemdAnalyzeVerify()
    {
        Skip.IfNot(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is not installed");
        // verify wants ExecStart to exist: point it at a stand-in binary, everything else as shipped.
        string release = _device.FakeRelease("1.0.0+aaa", "healthy");
        string unit = Path.Combine(Path.GetDirectoryName(release)!, "workerpool.service");
        File.WriteAllText(unit, File.ReadAllText(Repo.Path("deploy-scripts", "systemd", "workerpool.service"))
            .Replace("/opt/workerpool/current/workerpool", Path.Combine(release, "workerpool"), StringComparison.Ordinal));

        var (code, stdout, stderr) = await HostProcess.RunFileAsync("/usr/bin/systemd-analyze", null, TimeSpan.FromMinutes(1), "verify", unit);

        Assert.True(code == 0 && stderr.Length == 0, string.Join("\n", stdout.Concat(stderr)));
    }
}

using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>Deploy tests run one at a time: publishing is CPU-heavy and the scripts start and stop services.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeployCollection
{
    public const string Name = "deploy";
}

/// <summary>
/// A temporary root for deploy-scripts/install.sh, update.sh and uninstall.sh, with a fake <c>systemctl</c> that
/// starts <c>/opt/workerpool/current/workerpool run</c> as a background process (and stops it), and stand-in
/// releases whose <c>workerpool</c> is a short script: healthy, crashing, or refusing the config.
/// </summary>
public sealed class FakeDevice : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    public FakeDevice()
    {
        Directory.CreateDirectory(Root);
        Write(Systemctl, $$"""
            #!/usr/bin/env bash
            # Fake systemctl for the deploy tests: records its calls and runs the service as a background process.
            root='{{Root}}'
            echo "$*" >>"$root/systemctl.log"
            stop() {
              if [ -f "$root/service.pid" ]; then
                pid="$(cat "$root/service.pid")"; kill "$pid" 2>/dev/null
                for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                rm -f "$root/service.pid"
              fi
            }
            case "$1" in
              restart|start)
                stop
                # As systemd's EnvironmentFile= does.
                if [ -f "$root/etc/workerpool/workerpool.env" ]; then set -a; . "$root/etc/workerpool/workerpool.env"; set +a; fi
                WORKERPOOL_TEST_HEALTH="$root/var/lib/workerpool/health.json" setsid "$root/opt/workerpool/current/workerpool" \
                  run --config "$root/etc/workerpool/config.json" >>"$root/service.log" 2>&1 &
                echo $! >"$root/service.pid" ;;
              stop) stop ;;
              disable) if [ "${2:-}" = --now ]; then stop; fi ;;
            esac
            exit 0
            """);
    }

    public string Root => _dir.File("root");

    public string Systemctl => _dir.File("systemctl");

    public string Current => System.IO.Path.Combine(Root, "opt", "workerpool", "current");

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public string CurrentVersion => System.IO.Path.GetFileName(new FileInfo(Current).LinkTarget ?? "");

    public string[] SystemctlCalls => File.Exists(Path("systemctl.log")) ? File.ReadAllLines(Path("systemctl.log")) : [];

    public string[] Releases => Directory.Exists(Path("opt", "workerpool", "releases"))
        ? [.. Directory.GetDirectories(Path("opt", "workerpool", "releases")).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal)!]
        : [];

    /// <summary>Where the installed unit's <c>Documentation=file:</c> points, under this root.</summary>
    public string UnitDocumentation
    {
        get
        {
            string line = File.ReadLines(Path("etc", "systemd", "system", "workerpool.service")).Single(l => l.StartsWith("Documentation=file:", StringComparison.Ordinal));
            return Root + line["Documentation=file:".Length..];
        }
    }

    public string? Health => File.Exists(Path("var", "lib", "workerpool", "health.json")) ? File.ReadAllText(Path("var", "lib", "workerpool", "health.json")) : null;

    /// <summary>A stand-in release whose VERSION file says <paramref name="versionFile"/> verbatim.</summary>
    public string FakeReleaseWithVersionFile(string name, string versionFile)
    {
        string dir = FakeRelease(name, "healthy");
        File.WriteAllText(System.IO.Path.Combine(dir, "VERSION"), versionFile);
        return dir;
    }

    /// <summary>A stand-in release: <paramref name="behaviour"/> is <c>real</c> (the checkout's build of the service, reporting this version), <c>healthy</c>, <c>unsigned</c> (healthy, with a config that takes unsigned changes), <c>crash</c>, <c>refuse-config</c>, or <c>needs-env</c> (healthy only with workerpool.env's native-library variable, as on a Jetson).</summary>
    public string FakeRelease(string version, string behaviour)
    {
        string dir = _dir.File("release-" + version);
        Directory.CreateDirectory(System.IO.Path.Combine(dir, "deploy", "systemd"));
        File.WriteAllText(System.IO.Path.Combine(dir, "VERSION"), version + "\n");
        File.WriteAllText(System.IO.Path.Combine(dir, "RID"), "linux-x64\n"); // as publish.sh records it
        Write(System.IO.Path.Combine(dir, "workerpool"), StandIn(version, behaviour));
        foreach (var script in new[] { "install.sh", "update.sh", "uninstall.sh", "release-lib.sh", "update-agent.sh" })
            File.Copy(Repo.Path("deploy-scripts", script), System.IO.Path.Combine(dir, "deploy", script), overwrite: true);
        foreach (var file in new[] { "workerpool.service", "workerpool.env", "workerpool-update.service", "workerpool-update.path" })
            File.Copy(Repo.Path("deploy-scripts", "systemd", file), System.IO.Path.Combine(dir, "deploy", "systemd", file), overwrite: true);
        // As publish.sh ships it: the operator card the unit's Documentation= names.
        File.Copy(Repo.Path("deploy-scripts", "README.txt"), System.IO.Path.Combine(dir, "deploy", "README.txt"), overwrite: true);
        File.WriteAllText(System.IO.Path.Combine(dir, "deploy", "config.json"), "{ \"deviceId\": \"fake-01\" }\n");
        return dir;
    }

    /// <summary>
    /// Packs a release directory as publish.sh does: <c>workerpool-VERSION-RID.tar.gz</c> and <c>release.json</c> beside it
    /// in a new directory, and <c>release.json.sig</c> (base64 of a DER ECDSA P-256/SHA-256 signature) when a key is given.
    /// Returns the manifest's path.
    /// </summary>
    public async Task<string> PackReleaseAsync(string releaseDir, string rid, System.Security.Cryptography.ECDsa? signingKey)
    {
        string version = File.ReadAllText(System.IO.Path.Combine(releaseDir, "VERSION")).Trim();
        string dir = _dir.File($"signed-{version}-{rid}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string archive = $"workerpool-{version}-{rid}.tar.gz";
        var (code, _, stderr) = await HostProcess.RunFileAsync("tar", null, TimeSpan.FromMinutes(1), "-czf", System.IO.Path.Combine(dir, archive), "-C", releaseDir, ".");
        Assert.True(code == 0, string.Join("\n", stderr));
        byte[] bytes = File.ReadAllBytes(System.IO.Path.Combine(dir, archive));
        string manifest = System.IO.Path.Combine(dir, "release.json");
        File.WriteAllText(manifest, $$"""
            {
              "version": "{{version}}",
              "rid": "{{rid}}",
              "archive": "{{archive}}",
              "sha256": "{{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))}}",
              "size": {{bytes.Length}}
            }
            """.ReplaceLineEndings("\n") + "\n");
        if (signingKey is not null) Sign(manifest, signingKey);
        return manifest;
    }

    /// <summary>Writes <c>MANIFEST.sig</c>: base64 of a DER ECDSA/SHA-256 signature over the manifest's exact bytes.</summary>
    public static void Sign(string manifest, System.Security.Cryptography.ECDsa key) =>
        File.WriteAllText(manifest + ".sig", Convert.ToBase64String(key.SignData(File.ReadAllBytes(manifest),
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.DSASignatureFormat.Rfc3279DerSequence)) + "\n");

    /// <summary>Installs a healthy stand-in <paramref name="version"/> with install.sh, trusting <paramref name="key"/> for signed releases.</summary>
    public async Task InstallTrustingAsync(string version, System.Security.Cryptography.ECDsa key)
    {
        var (code, stderr) = await RunAsync("install.sh", "--timeout", "20", FakeRelease(version, "healthy"));
        Assert.True(code == 0, stderr);
        TrustReleaseKey(key);
    }

    /// <summary>Installs <paramref name="key"/>'s public half where update.sh --manifest looks by default.</summary>
    public void TrustReleaseKey(System.Security.Cryptography.ECDsa key)
    {
        Directory.CreateDirectory(Path("etc", "workerpool"));
        File.WriteAllText(Path("etc", "workerpool", "release-public.pem"), key.ExportSubjectPublicKeyInfoPem() + "\n");
    }

    /// <summary>
    /// Makes a release already installed under releases/ crash at start from now on (its config check still passes),
    /// as an older release can when the data directory has moved on under it.
    /// </summary>
    public void BreakInstalledRelease(string version) =>
        Write(Path("opt", "workerpool", "releases", version, "workerpool"), StandIn(version, "crash"));

    private static string StandIn(string version, string behaviour) => behaviour == "real" ? $$"""
            #!/usr/bin/env bash
            # Stand-in release {{version}} (real): the checkout's own build of the service, reporting {{version}}.
            export WORKERPOOL_TEST_VERSION='{{version}}'
            exec '{{Repo.HostScript}}' "$@"
            """ : $$"""
            #!/usr/bin/env bash
            # Stand-in release {{version}} ({{behaviour}}) for the deploy tests.
            # Like the real one, it writes its health file where the config's health.file says (absolute here).
            configured="$(sed -n 's/.*"file": *"\([^"]*\)".*/\1/p' "$3" 2>/dev/null | head -n 1)"
            if [ -n "$configured" ]; then WORKERPOOL_TEST_HEALTH="$configured"; fi
            case "$1" in
              check)
                if [ '{{behaviour}}' = refuse-config ]; then echo "config refused by {{version}}" >&2; exit 2; fi
                if [ '{{behaviour}}' = needs-env ] && [ -z "${WORKERPOOL_OPENCVSHARP_EXTERN:-}" ]; then echo "{{version}}: no OpenCV extern" >&2; exit 3; fi
                echo "config OK"
                if [ -n "$configured" ]; then echo "health file: $configured"; fi
                if [ '{{behaviour}}' = unsigned ]; then echo "signed config and commands: not required (no security.fleetPublicKey)"
                else echo "signed config and commands: required"; fi ;;
              run)
                if [ '{{behaviour}}' = crash ]; then echo "{{version}} crashing" >&2; exit 1; fi
                if [ '{{behaviour}}' = needs-env ] && [ -z "${WORKERPOOL_OPENCVSHARP_EXTERN:-}" ]; then exit 3; fi
                for _ in $(seq 1 900); do
                  printf '{"state":"healthy","reason":null,"version":"%s","pid":%d,"time":"t"}\n' '{{version}}' "$$" >"$WORKERPOOL_TEST_HEALTH.tmp"
                  mv "$WORKERPOOL_TEST_HEALTH.tmp" "$WORKERPOOL_TEST_HEALTH"
                  sleep 0.2
                done ;;
            esac
            """;

    /// <summary>
    /// Plays systemd's part for <c>workerpool-update.path</c>: while the service's update request exists, runs the
    /// current release's <c>deploy/update-agent.sh</c> (as root would), until disposed or 10 minutes passed.
    /// </summary>
    public void StartUpdateHelper(int timeoutSeconds = 60)
    {
        var stop = _helperStop.Token;
        _helper = Task.Run(async () =>
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
            string request = Path("var", "lib", "workerpool", "update", "request");
            while (!stop.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                if (File.Exists(request))
                {
                    var (code, stderr) = await RunFileAsync(System.IO.Path.Combine(Current, "deploy", "update-agent.sh"), ["--timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    lock (_helperLog) _helperLog.Add($"update-agent.sh exited {code}\n{stderr}");
                }
                try { await Task.Delay(200, stop); } catch (OperationCanceledException) { break; }
            }
        });
    }

    private readonly CancellationTokenSource _helperStop = new();
    private readonly List<string> _helperLog = [];
    private Task _helper = Task.CompletedTask;

    /// <summary>What the update helper's runs wrote, for a failure message.</summary>
    public string HelperLog { get { lock (_helperLog) return string.Join("\n", _helperLog); } }

    /// <summary>Whether the update helper ever ran here.</summary>
    public bool HelperRan { get { lock (_helperLog) return _helperLog.Count > 0; } }

    /// <summary>The state file the update helper and the service share, or null.</summary>
    public string? SoftwareState => File.Exists(Path("var", "lib", "workerpool", "update", "state.json")) ? File.ReadAllText(Path("var", "lib", "workerpool", "update", "state.json")) : null;

    /// <summary>The service's own output (the fake systemctl appends it to service.log).</summary>
    public string ServiceLog => File.Exists(Path("service.log")) ? File.ReadAllText(Path("service.log")) : "";

    /// <summary>Runs a deploy script (from the repository) against this root with the fake systemctl; bounded.</summary>
    public Task<(int Code, string Stderr)> RunAsync(string script, params string[] args) =>
        RunFileAsync(Repo.Path("deploy-scripts", script), args);

    /// <summary>Runs a deploy script as an operator on the device does: the current release's deploy/ copy.</summary>
    public Task<(int Code, string Stderr)> RunInstalledAsync(string script, params string[] args) =>
        RunFileAsync(System.IO.Path.Combine(Current, "deploy", script), args);

    private async Task<(int Code, string Stderr)> RunFileAsync(string script, string[] args)
    {
        var (code, _, stderr) = await HostProcess.RunFileAsync(script,
            new Dictionary<string, string> { ["SYSTEMCTL"] = Systemctl, ["SETTLE_SECONDS"] = "1", ["KEEP_RELEASES"] = "2" },
            TimeSpan.FromMinutes(3), ["--root", Root, .. args]);
        return (code, string.Join("\n", stderr));
    }

    private static void Write(string path, string text)
    {
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }

    public async ValueTask DisposeAsync()
    {
        await _helperStop.CancelAsync();
        try { await _helper.WaitAsync(TimeSpan.FromMinutes(4)); }
        catch (TimeoutException) { } // an agent run is bounded by its own timeouts; the service is stopped below regardless
        _helperStop.Dispose();
        await HostProcess.RunFileAsync(Systemctl, null, TimeSpan.FromSeconds(30), "stop", "workerpool");
        _dir.Dispose();
    }
}

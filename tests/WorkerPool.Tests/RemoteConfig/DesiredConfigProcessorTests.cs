using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.RemoteConfig;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.RemoteConfig;

public sealed class DesiredConfigProcessorTests : IDisposable
{
    private const string FileConfig = """
        {
          "deviceId": "dev-1",
          "pool": { "workers": [ { "device": "cpu", "cores": [0] } ] },
          "counting": { "windowSeconds": 60 },
          "cameras": [ { "id": "cam1", "url": "video.avi", "lines": [ { "id": "door", "from": [0.5, 0], "to": [0.5, 1] } ] } ]
        }
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "desired-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ECDsa _fleet = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly List<DeviceConfig> _applied = [];

    private string State => Path.Combine(_dir, "remote-config.json");

    private DesiredConfigProcessor Processor(bool signed = false, int maxBytes = 256 * 1024)
    {
        var file = ConfigLoader.Parse(FileConfig);
        if (signed) file.Security = new SecurityOptions { FleetPublicKey = _fleet.ExportSubjectPublicKeyInfoPem() };
        return new DesiredConfigProcessor(file, State, maxBytes, c => DeviceConfigValidator.Validate(c, checkModel: false));
    }

    private Task<ReportedConfig> SendAsync(DesiredConfigProcessor p, string json) =>
        p.ProcessAsync(Encoding.UTF8.GetBytes(json), c => { _applied.Add(c); return Task.FromResult<IReadOnlyList<ConfigError>>([]); });

    private string Signed(long version, string config, string device = "dev-1")
    {
        using var doc = JsonDocument.Parse(config);
        string sig = FleetSignature.Sign(_fleet, FleetSignature.ConfigBytes(device, version, doc.RootElement));
        return $$"""{"version": {{version}}, "config": {{config}}, "signature": "{{sig}}"}""";
    }

    [Fact]
    public async Task Process_ValidLineChange_IsAppliedMergedAndReported()
    {
        var p = Processor();
        var r = await SendAsync(p, """{"version": 3, "config": {"cameras": [{"id": "cam1", "url": "video.avi", "lines": [{"id": "door", "from": [0.2, 0], "to": [0.2, 1]}]}]}}""");
        Assert.Equal(("applied", 3L), (r.Status, r.Version));
        Assert.Empty(r.Errors);
        Assert.Equal(0.2, Assert.Single(_applied).Cameras[0].Lines[0].From[0]);
        Assert.Equal(60, p.Effective.Counting.WindowSeconds); // untouched fields keep their values
        Assert.Equal(p.EffectiveHash, r.EffectiveHash);
    }

    [Fact]
    public async Task Process_NestedField_ChangesOnlyThatField()
    {
        var p = Processor();
        Assert.Equal("applied", (await SendAsync(p, """{"version": 1, "config": {"counting": {"windowSeconds": 30}}}""")).Status);
        Assert.Equal(30, p.Effective.Counting.WindowSeconds);
        Assert.Equal(0.0125, p.Effective.Counting.LineHysteresis);
        Assert.Equal("door", p.Effective.Cameras[0].Lines[0].Id);
    }

    [Fact]
    public async Task Process_NullField_ReturnsItToItsDefault()
    {
        var p = Processor();
        await SendAsync(p, """{"version": 1, "config": {"counting": {"windowSeconds": 30}}}""");
        await SendAsync(p, """{"version": 2, "config": {"counting": {"windowSeconds": null}}}""");
        Assert.Equal(60, p.Effective.Counting.WindowSeconds);
    }

    [Theory]
    [InlineData("{ not json", "$", "not valid JSON")]
    [InlineData("[1, 2]", "$", "must be an object")]
    [InlineData("""{"version": "7", "config": {}}""", "version", "integer")]
    [InlineData("""{"version": 1}""", "config", "must be an object")]
    [InlineData("""{"version": 1, "config": {"counting": {"windowSeconds": "soon"}}}""", "config.counting.windowSeconds", "invalid config JSON")]
    [InlineData("""{"version": 1, "config": {"counting": {"windowSeconds": 0}}}""", "config.counting.windowSeconds", "between 1 and 86400")]
    [InlineData("""{"version": 1, "config": {"cameras": [{"id": "cam1", "url": "v.avi", "lines": [{"id": "d", "from": [0, 0], "to": [0, 2]}]}]}}""", "config.cameras[0].lines[0].to", "between 0 and 1")]
    [InlineData("""{"version": 1, "config": {"deviceId": "other"}}""", "config.deviceId", "cannot be changed")]
    [InlineData("""{"version": 1, "config": {}, "extra": true}""", "extra", "unknown field")]
    public async Task Process_BadPayload_IsRejectedWithAPreciseErrorAndNothingChanges(string payload, string path, string message)
    {
        var p = Processor();
        string before = p.EffectiveHash;
        var r = await SendAsync(p, payload);
        Assert.Equal("rejected", r.Status);
        var error = Assert.Single(r.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Empty(_applied);
        Assert.Equal(before, p.EffectiveHash);
        Assert.False(File.Exists(State));
    }

    [Fact]
    public async Task Process_PayloadOverTheSizeCap_IsRejectedBeforeParsing()
    {
        var r = await SendAsync(Processor(maxBytes: 100), """{"version": 1, "config": {"counting": {"windowSeconds": 30}}, "pad": "" }""" + new string(' ', 200));
        Assert.Equal("rejected", r.Status);
        Assert.Contains("mqtt.maxPayloadBytes", r.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_OldOrSameVersion_IsIgnoredAndSaysWhy()
    {
        var p = Processor();
        await SendAsync(p, """{"version": 5, "config": {"counting": {"windowSeconds": 30}}}""");
        var same = await SendAsync(p, """{"version": 5, "config": {"counting": {"windowSeconds": 10}}}""");
        var older = await SendAsync(p, """{"version": 4, "config": {"counting": {"windowSeconds": 10}}}""");
        Assert.Equal(("ignored", "ignored"), (same.Status, older.Status));
        Assert.Contains("not newer than the applied version 5", older.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(30, p.Effective.Counting.WindowSeconds);
    }

    [Fact]
    public async Task Process_ApplyFails_IsRejectedAndNotPersisted()
    {
        var p = Processor();
        var r = await p.ProcessAsync(Encoding.UTF8.GetBytes("""{"version": 1, "config": {"counting": {"windowSeconds": 30}}}"""),
            _ => Task.FromResult<IReadOnlyList<ConfigError>>([new ConfigError("cameras[0]", "camera restart failed")]));
        Assert.Equal("rejected", r.Status);
        Assert.Equal(0, p.AppliedVersion);
        Assert.False(File.Exists(State));
    }

    [Fact]
    public async Task Restart_ComesBackWithTheLastAppliedConfigOnTopOfTheFile()
    {
        await SendAsync(Processor(), """{"version": 7, "config": {"counting": {"windowSeconds": 15}}}""");
        var again = Processor();
        Assert.Equal(7, again.AppliedVersion);
        Assert.Equal(15, again.Effective.Counting.WindowSeconds);
        Assert.Equal("ignored", (await SendAsync(again, """{"version": 7, "config": {}}""")).Status); // replay after restart
    }

    [Fact]
    public async Task DiscardApplied_GoesBackToTheFileAndKeepsTheOldStateAside()
    {
        var p = Processor();
        await SendAsync(p, """{"version": 3, "config": {"counting": {"windowSeconds": 15}}}""");
        p.DiscardApplied();
        Assert.Equal((0L, 60), (p.AppliedVersion, p.Effective.Counting.WindowSeconds));
        Assert.True(File.Exists(State + ".discarded"));
        Assert.Equal(0, Processor().AppliedVersion);
    }

    [Fact]
    public void Restart_WithADamagedStateFile_StartsFromTheFileAlone()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(State, "{ torn");
        var p = Processor();
        Assert.Equal(0, p.AppliedVersion);
        Assert.Equal(60, p.Effective.Counting.WindowSeconds);
    }

    [Fact]
    public async Task DiscardApplied_KeepsTheVersionFloor_ACapturedOlderConfigNeverAppliesAgain()
    {
        var p = Processor(signed: true);
        string old = Signed(3, """{"counting": {"windowSeconds": 15}}""");
        Assert.Equal("applied", (await SendAsync(p, old)).Status);
        Assert.Equal("applied", (await SendAsync(p, Signed(5, """{"counting": {"windowSeconds": 20}}"""))).Status);
        p.DiscardApplied();

        var restarted = Processor(signed: true);
        var replayed = await SendAsync(restarted, old);
        Assert.Equal("ignored", replayed.Status);
        Assert.Contains("5", replayed.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(60, restarted.Effective.Counting.WindowSeconds);
        Assert.Equal("applied", (await SendAsync(restarted, Signed(6, """{"counting": {"windowSeconds": 30}}"""))).Status);
    }

    [Fact]
    public async Task DamagedStateFile_KeepsTheVersionFloor()
    {
        var p = Processor(signed: true);
        string old = Signed(2, """{"counting": {"windowSeconds": 15}}""");
        Assert.Equal("applied", (await SendAsync(p, old)).Status);
        Assert.Equal("applied", (await SendAsync(p, Signed(4, """{"counting": {"windowSeconds": 20}}"""))).Status);
        File.WriteAllText(State, "{ torn");

        var restarted = Processor(signed: true);
        Assert.Equal(0, restarted.AppliedVersion);
        Assert.Equal("ignored", (await SendAsync(restarted, old)).Status);
        Assert.Equal(60, restarted.Effective.Counting.WindowSeconds);
    }

    private static string SignedBy(ECDsa key, long version, string config)
    {
        using var doc = JsonDocument.Parse(config);
        string sig = FleetSignature.Sign(key, FleetSignature.ConfigBytes("dev-1", version, doc.RootElement));
        return $$"""{"version": {{version}}, "config": {{config}}, "signature": "{{sig}}"}""";
    }

    private static string Pem(ECDsa key) => JsonSerializer.Serialize(key.ExportSubjectPublicKeyInfoPem());

    [Fact]
    public async Task KeyRotation_NextKeyInstalledByTheCurrent_ThenPromotedByItself_TheOldKeyIsRefusedAfterwards_AndARestartKeepsIt()
    {
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = Processor(signed: true);
        Assert.Equal("rejected", (await SendAsync(p, SignedBy(next, 1, """{"counting": {"windowSeconds": 20}}"""))).Status);

        // 1. The current key installs the next one: the only change allowed in security.
        var installed = await SendAsync(p, SignedBy(_fleet, 2, $$$"""{"security": {"fleetPublicKeyNext": {{{Pem(next)}}}}}"""));
        Assert.Equal("applied", installed.Status);
        // Both keys verify now.
        Assert.Equal("applied", (await SendAsync(p, SignedBy(next, 3, """{"counting": {"windowSeconds": 20}}"""))).Status);
        Assert.Equal("applied", (await SendAsync(p, SignedBy(_fleet, 4, """{"counting": {"windowSeconds": 30}}"""))).Status);

        // Not allowed: the next key installing another next key, the current key promoting a stranger.
        var byNext = await SendAsync(p, SignedBy(next, 5, $$$"""{"security": {"fleetPublicKeyNext": {{{Pem(stranger)}}}}}"""));
        Assert.Equal(("rejected", "config.security"), (byNext.Status, byNext.Errors[0].Path));
        var stolen = await SendAsync(p, SignedBy(_fleet, 6, $$$"""{"security": {"fleetPublicKey": {{{Pem(stranger)}}}, "fleetPublicKeyNext": null}}"""));
        Assert.Equal(("rejected", "config.security"), (stolen.Status, stolen.Errors[0].Path));

        // 2. The next key makes itself the current one.
        var promoted = await SendAsync(p, SignedBy(next, 7, $$$"""{"security": {"fleetPublicKey": {{{Pem(next)}}}, "fleetPublicKeyNext": null}}"""));
        Assert.Equal("applied", promoted.Status);
        Assert.Equal((next.ExportSubjectPublicKeyInfoPem(), null), (p.Effective.Security.FleetPublicKey, p.Effective.Security.FleetPublicKeyNext));
        Assert.Equal("rejected", (await SendAsync(p, SignedBy(_fleet, 8, """{"counting": {"windowSeconds": 30}}"""))).Status);

        var restarted = Processor(signed: true);
        Assert.Equal("rejected", (await SendAsync(restarted, SignedBy(_fleet, 9, """{"counting": {"windowSeconds": 30}}"""))).Status);
        Assert.Equal("applied", (await SendAsync(restarted, SignedBy(next, 10, """{"counting": {"windowSeconds": 30}}"""))).Status);
    }

    [Fact]
    public async Task Security_OnADeviceWithoutAFleetKey_CannotBeChangedRemotely()
    {
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var r = await SendAsync(Processor(), "{\"version\": 1, \"config\": {\"security\": {\"fleetPublicKey\": " + Pem(attacker) + "}}}");
        Assert.Equal(("rejected", "config.security"), (r.Status, r.Errors[0].Path));
    }

    [Fact]
    public async Task Signed_ValidSignature_IsApplied()
    {
        var r = await SendAsync(Processor(signed: true), Signed(2, """{"counting": {"windowSeconds": 20}}"""));
        Assert.Equal("applied", r.Status);
    }

    [Fact]
    public async Task Signed_SameContentReorderedAndReformatted_StillVerifies()
    {
        using var doc = JsonDocument.Parse("""{"counting":{"windowSeconds":20,"lineHysteresis":0.02}}""");
        string sig = FleetSignature.Sign(_fleet, FleetSignature.ConfigBytes("dev-1", 2, doc.RootElement));
        string payload = $$"""{ "signature": "{{sig}}", "config": { "counting": { "lineHysteresis": 0.02,   "windowSeconds": 20 } }, "version": 2 }""";
        Assert.Equal("applied", (await SendAsync(Processor(signed: true), payload)).Status);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("forged")]
    [InlineData("tampered")]
    [InlineData("other-device")]
    [InlineData("other-version")]
    public async Task Signed_MissingForgedOrReplayedSignature_IsRejected(string kind)
    {
        string config = """{"counting": {"windowSeconds": 20}}""";
        string payload = kind switch
        {
            "missing" => $$"""{"version": 2, "config": {{config}}}""",
            "forged" => Signed(2, config).Replace("\"signature\": \"", "\"signature\": \"AAAA", StringComparison.Ordinal),
            "tampered" => Signed(2, config).Replace("20", "21", StringComparison.Ordinal),
            "other-device" => Signed(2, config, device: "dev-2"),
            _ => Signed(1, config).Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal),
        };
        var p = Processor(signed: true);
        var r = await SendAsync(p, payload);
        Assert.Equal("rejected", r.Status);
        Assert.Equal("signature", r.Errors[0].Path);
        Assert.Empty(_applied);
    }

    [Fact]
    public void MergePatch_ArraysReplaceObjectsMergeNullRemoves()
    {
        var target = JsonNode.Parse("""{"a": {"b": 1, "c": 2}, "list": [1, 2, 3], "gone": 5}""")!.AsObject();
        var patch = JsonNode.Parse("""{"a": {"c": 9}, "list": [7], "gone": null, "new": "x"}""")!.AsObject();
        var result = JsonMergePatch.Apply(target, patch);
        Assert.Equal("""{"a":{"b":1,"c":9},"list":[7],"new":"x"}""", result.ToJsonString());
        Assert.Equal(2, target["a"]!["c"]!.GetValue<int>()); // the target is not modified
    }

    [Fact]
    public void CanonicalJson_KeyOrderAndWhiteSpace_DoNotMatterButValuesDo()
    {
        static string C(string json) { using var d = JsonDocument.Parse(json); return Encoding.UTF8.GetString(CanonicalJson.Bytes(d.RootElement)); }
        Assert.Equal(C("""{"b": [1, {"y": 2, "x": 1}], "a": "s"}"""), C("""{"a":"s","b":[1,{"x":1,"y":2}]}"""));
        Assert.Equal("""{"a":"s","b":[1,{"x":1,"y":2}]}""", C("""{"b": [1, {"y": 2, "x": 1}], "a": "s"}"""));
        Assert.NotEqual(C("""{"a": 1}"""), C("""{"a": 2}"""));
    }

    public void Dispose()
    {
        _fleet.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Commands;
using WorkerPool.Commands.Handlers;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Fleet.Provisioning;
using WorkerPool.Messaging;
using WorkerPool.RemoteConfig;
using WorkerPool.Tests.Control;

namespace WorkerPool.Tests.Commands;

/// <summary><c>renew-cert</c> and <c>install-cert</c> on the device, and the fleet's check of the CSR.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CertificateRenewalCommandTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("renewal-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly DeviceConfig _config;
    private readonly MqttConnection _connection;
    private readonly DesiredConfigProcessor _processor;

    public CertificateRenewalCommandTests()
    {
        _config = ConfigLoader.Parse($$"""
            {
              "deviceId": "dev-1",
              "pool": { "workers": [ { "device": "cpu", "cores": [0] } ] },
              "cameras": [ { "id": "cam1", "url": "video.avi" } ],
              "outbox": { "path": "{{Path.Combine(_dir, "outbox.db")}}" },
              "mqtt": { "tls": { "enabled": true } }
            }
            """);
        _connection = new MqttConnection(_config.Mqtt, "dev-1", "1.0.0", _time, NullLogger.Instance);
        _processor = new DesiredConfigProcessor(_config, Path.Combine(_dir, "remote-config.json"), 256 * 1024, c => DeviceConfigValidator.Validate(c, checkModel: false));
    }

    private string PendingKey => Path.Combine(_dir, "tls", "pending.key");

    private async Task<string> RenewAsync() =>
        (await new RenewCertCommand(new FakeDeviceControl(_config)).RunAsync([]))!["csr"]!.GetValue<string>();

    private Task<JsonNode?> InstallAsync(string pem) =>
        new InstallCertCommand(new FakeDeviceControl(_config), _processor, _connection, _time).RunAsync(new JsonObject { ["certificate"] = pem });

    private string SelfSigned(ECDsa key, string cn)
    {
        var request = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(_time.GetUtcNow().AddMinutes(-1), _time.GetUtcNow().AddDays(30));
        return certificate.ExportCertificatePem();
    }

    private ECDsa Pending()
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(PendingKey));
        return key;
    }

    [Fact]
    public async Task RenewCert_KeepsANewKeyOwnerOnly_AndAnswersACsrTheFleetAccepts()
    {
        string csr = await RenewAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PendingKey));
        var publicKey = RenewVerb.CheckCsr(csr, "dev-1");
        using var pending = Pending();
        Assert.Equal(pending.ExportSubjectPublicKeyInfo(), publicKey.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());
        Assert.Contains("names 'dev-1'", Assert.Throws<InvalidDataException>(() => RenewVerb.CheckCsr(csr, "dev-2")).Message, StringComparison.Ordinal);

        // Each renew-cert makes a new key: a CSR captured earlier is for a key that is gone.
        await RenewAsync();
        using var next = Pending();
        Assert.NotEqual(pending.ExportSubjectPublicKeyInfo(), next.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void CheckCsr_ForAKeyOtherThanP256_IsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        string csr = new CertificateRequest("CN=dev-1", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        Assert.Contains("P-256", Assert.Throws<InvalidDataException>(() => RenewVerb.CheckCsr(csr, "dev-1")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallCert_WithoutARenewFirst_IsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ex = await Assert.ThrowsAsync<CommandException>(() => InstallAsync(SelfSigned(key, "dev-1")));
        Assert.Contains("send renew-cert first", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallCert_ForAnotherKey_IsRefusedAndNothingChanges()
    {
        await RenewAsync();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ex = await Assert.ThrowsAsync<CommandException>(() => InstallAsync(SelfSigned(other, "dev-1")));
        Assert.Contains("not for the pending key", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "remote-config.json")));
        Assert.True(File.Exists(PendingKey));
    }

    [Fact]
    public async Task InstallCert_NamingAnotherDevice_IsRefused()
    {
        await RenewAsync();
        using var pending = Pending();
        var ex = await Assert.ThrowsAsync<CommandException>(() => InstallAsync(SelfSigned(pending, "dev-2")));
        Assert.Contains("names 'dev-2'", ex.Message, StringComparison.Ordinal);
        Assert.Null(_processor.Effective.Mqtt.Tls.CertFile);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _processor.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

using System.Security.Cryptography;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.Config;

/// <summary>Broker TLS files that load as the MQTT connection loads them, belong together, name this device, and are in date.</summary>
public sealed class TlsFilesTests : IDisposable
{
    private static readonly DateTimeOffset Issued = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tls-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly TestPki _pki;

    public TlsFilesTests() => _pki = new TestPki(_dir, Issued);

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string File(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    private (string Cert, string Key) Client(string cn = "dev-1", int days = 365) => _pki.Client(cn + "-" + days, cn, Issued, Issued.AddDays(days));

    private static DeviceConfig Config(string? ca, string? cert, string? key, Action<MqttTlsOptions>? edit = null)
    {
        var config = new DeviceConfig { DeviceId = "dev-1", Cameras = [new CameraOptions { Id = "c", Url = "video.avi" }] };
        config.Mqtt.Port = 8883;
        config.Mqtt.Tls = new MqttTlsOptions { Enabled = true, CaFile = ca, CertFile = cert, KeyFile = key };
        edit?.Invoke(config.Mqtt.Tls);
        return config;
    }

    private static List<ConfigError> Errors(DeviceConfig config) => DeviceConfigValidator.Validate(config, checkModel: false);

    [Fact]
    public void MatchingCaCertificateAndKey_WithTheDeviceIdAsCn_AreAccepted()
    {
        var (cert, key) = Client();
        Assert.Empty(Errors(Config(_pki.CaFile, cert, key)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \n")]
    public void EmptyPemFiles_AreRefusedEachSayingWhatBelongsThere(string content)
    {
        var errors = Errors(Config(File("ca.pem", content), File("d.crt", content), File("d.key", content)));
        Assert.Equal(["mqtt.tls.caFile", "mqtt.tls.certFile", "mqtt.tls.keyFile"], errors.Select(e => e.Path));
        Assert.All(errors, e => Assert.Contains("is empty: ", e.Message, StringComparison.Ordinal));
        Assert.Contains("copy the broker's CA certificate there", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CaFileThatIsNoCertificate_IsRefused()
    {
        var error = Assert.Single(Errors(Config(File("ca.pem", "hello"), null, null)));
        Assert.Equal("mqtt.tls.caFile", error.Path);
        Assert.Contains("is not a certificate", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyOfAnotherCertificate_IsRefusedAsNotMatching()
    {
        var (cert, _) = Client();
        var (_, otherKey) = Client("dev-1", 200);
        var error = Assert.Single(Errors(Config(_pki.CaFile, cert, otherKey)));
        Assert.Equal("mqtt.tls.keyFile", error.Path);
        Assert.Contains($"is not the key of '{cert}' (their public keys differ)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyAndCertificateSwapped_AreBothNamed()
    {
        var (cert, key) = Client();
        var errors = Errors(Config(_pki.CaFile, key, cert));
        Assert.Contains(errors, e => e.Path == "mqtt.tls.certFile" && e.Message.Contains("holds a PRIVATE KEY, not a CERTIFICATE", StringComparison.Ordinal));
    }

    [Fact]
    public void KeyFileWithoutPem_IsRefusedCleanly()
    {
        var (cert, _) = Client();
        var error = Assert.Single(Errors(Config(_pki.CaFile, cert, File("d.key", "not a key"))));
        Assert.Contains("is not a PEM private key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncryptedKey_IsRefusedBecauseTheServiceCannotEnterAPassphrase()
    {
        var (cert, _) = Client();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string encrypted = key.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
        Assert.Contains("is encrypted, and the service cannot enter a passphrase",
            Assert.Single(Errors(Config(_pki.CaFile, cert, File("d.key", encrypted)))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateForAnotherDevice_IsRefusedWhereTheBrokerTakesTheCnAsUser()
    {
        var (cert, key) = Client("dev-2");
        var error = Assert.Single(Errors(Config(_pki.CaFile, cert, key)));
        Assert.Equal("mqtt.tls.certFile", error.Path);
        Assert.Contains("has CN 'dev-2', not the deviceId 'dev-1': the broker takes the CN as the user name", error.Message, StringComparison.Ordinal);
        Assert.Contains("make-certs.sh OUTDIR BROKER dev-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("mqtt.tls.certificateCnIsUsername: false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateForAnotherCn_IsAcceptedWhenTheBrokerMapsUsersOtherwise()
    {
        var (cert, key) = Client("dev-2");
        Assert.Empty(Errors(Config(_pki.CaFile, cert, key, t => t.CertificateCnIsUsername = false)));
    }

    [Fact]
    public void ServerCertificateUsedAsClientCertificate_IsRefused()
    {
        var (cert, key) = _pki.Client("server", "dev-1", Issued, Issued.AddDays(90), clientAuth: false);
        Assert.Contains("is not for client authentication", Assert.Single(Errors(Config(_pki.CaFile, cert, key))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expiry_ExpiredCertificate_IsAnError()
    {
        var (cert, key) = Client(days: 10);
        var (errors, warnings) = Expiry(Config(_pki.CaFile, cert, key), Issued.AddDays(11));
        var error = Assert.Single(errors);
        Assert.Equal("mqtt.tls.certFile", error.Path);
        Assert.Contains("the client certificate expired on 2030-01-11 00:00 UTC", error.Message, StringComparison.Ordinal);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Expiry_WithinThirtyDays_IsAWarning()
    {
        var (cert, key) = Client(days: 60);
        var (errors, warnings) = Expiry(Config(_pki.CaFile, cert, key), Issued.AddDays(40));
        Assert.Empty(errors);
        var warning = Assert.Single(warnings);
        Assert.Contains("expires on 2030-03-02 00:00 UTC, in 20 day(s): renew it before then", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expiry_MoreThanThirtyDaysAhead_IsSilent()
    {
        var (cert, key) = Client(days: 100);
        Assert.Equal((0, 0), Count(Expiry(Config(_pki.CaFile, cert, key), Issued.AddDays(1))));
    }

    [Fact]
    public void Expiry_CaNearItsEnd_IsWarnedToo()
    {
        var (cert, key) = Client(days: 100);
        var (_, warnings) = Expiry(Config(_pki.CaFile, cert, key), Issued.AddYears(1).AddDays(-5));
        Assert.Contains(warnings, w => w.Path == "mqtt.tls.caFile" && w.Message.Contains("the CA certificate expires", StringComparison.Ordinal));
    }

    [Fact]
    public void Expiry_NotValidYet_WarnsAboutTheClock()
    {
        var (cert, key) = Client();
        var (_, warnings) = Expiry(Config(_pki.CaFile, cert, key), Issued.AddDays(-1));
        Assert.Contains(warnings, w => w.Message.Contains("is this device's clock right", StringComparison.Ordinal));
    }

    private static (int, int) Count((List<ConfigError> E, List<ConfigError> W) r) => (r.E.Count, r.W.Count);

    private static (List<ConfigError> Errors, List<ConfigError> Warnings) Expiry(DeviceConfig config, DateTimeOffset now)
    {
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigError>();
        TlsFiles.Expiry(config.Mqtt.Tls, now, (p, m) => errors.Add(new(p, m)), (p, m) => warnings.Add(new(p, m)));
        return (errors, warnings);
    }
}

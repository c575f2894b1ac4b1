using System.Security.Cryptography;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.Config;

/// <summary>Bad fleet and resend keys get a message that says what to paste, never .NET's "(Parameter 'input')".</summary>
public class SecurityKeyValidationTests
{
    private static DeviceConfig Config(Action<SecurityOptions> edit)
    {
        var config = new DeviceConfig { DeviceId = "dev-1", Cameras = [new CameraOptions { Id = "c", Url = "video.avi" }] };
        edit(config.Security);
        return config;
    }

    private static ConfigError OneError(DeviceConfig config) => Assert.Single(DeviceConfigValidator.Validate(config, checkModel: false));

    [Theory]
    [InlineData("not a key")]
    [InlineData("")]
    [InlineData("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")]
    public void ResendKeyThatIsNoKey_SaysWhatToPaste_WithoutParameterInput(string pem)
    {
        if (pem.Length == 0) pem = " "; // empty means "no key"; a blank one is a bad key
        var error = OneError(Config(s => s.ResendPublicKey = pem));
        Assert.Equal("security.resendPublicKey", error.Path);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("input", error.Message, StringComparison.Ordinal);
        Assert.Contains("workerpool-fleet keygen", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FleetKeyWithoutPem_IsRefusedCleanly()
    {
        var error = OneError(Config(s => s.FleetPublicKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"));
        Assert.Equal("security.fleetPublicKey", error.Path);
        Assert.StartsWith("is not a PEM public key (no -----BEGIN PUBLIC KEY----- block): paste the whole public key file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrivateKeyPastedAsTheFleetKey_IsRefusedAsLeaked()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var error = OneError(Config(s => s.FleetPublicKey = key.ExportPkcs8PrivateKeyPem()));
        Assert.Contains("is a private key (PRIVATE KEY): the device needs the public one only", error.Message, StringComparison.Ordinal);
        Assert.Contains("make a new key pair", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RsaPublicKey_IsRefusedAsNotEcdsa()
    {
        using var rsa = RSA.Create(2048);
        var error = OneError(Config(s => s.FleetPublicKey = rsa.ExportSubjectPublicKeyInfoPem()));
        Assert.Contains("is not an ECDSA public key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void P384Key_IsRefusedNamingItsSize()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var error = OneError(Config(s => s.FleetPublicKey = key.ExportSubjectPublicKeyInfoPem()));
        Assert.Contains("must be an ECDSA P-256 key, this one has 384 bits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GoodP256Key_IsAccepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Empty(DeviceConfigValidator.Validate(Config(s => s.FleetPublicKey = key.ExportSubjectPublicKeyInfoPem()), checkModel: false));
    }
}

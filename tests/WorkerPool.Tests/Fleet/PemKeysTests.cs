using System.Security.Cryptography;
using WorkerPool.Fleet.Operator;

namespace WorkerPool.Tests.Fleet;

public sealed class PemKeysTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "pemkeys-" + Guid.NewGuid().ToString("N")[..10] + ".pem");

    [Theory]
    [InlineData("")]
    [InlineData("not a key at all")]
    [InlineData("fleet-keys/fleet-private.pem")]
    public void LoadPrivate_FileWithoutAPemKey_SaysWhereOneComesFromNotParameterInput(string content)
    {
        File.WriteAllText(_file, content);
        var ex = Assert.Throws<ArgumentException>(() => PemKeys.LoadPrivate(new FileInfo(_file)));
        Assert.DoesNotContain("(Parameter", ex.Message, StringComparison.Ordinal);
        Assert.Contains("workerpool-fleet keygen", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPrivate_PublicKeyInsteadOfThePrivateOne_IsNamedAsSuch()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(_file, key.ExportSubjectPublicKeyInfoPem());
        var ex = Assert.Throws<ArgumentException>(() => PemKeys.LoadPrivate(new FileInfo(_file)));
        Assert.Contains("public key", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPrivate_P256PrivateKey_Loads()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(_file, key.ExportPkcs8PrivateKeyPem());
        using var loaded = PemKeys.LoadPrivate(new FileInfo(_file));
        Assert.Equal(256, loaded.KeySize);
    }

    public void Dispose() => File.Delete(_file);
}

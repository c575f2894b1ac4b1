using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using WorkerPool.Messaging;

namespace WorkerPool.Tests.Messaging;

/// <summary>With <c>mqtt.tls.caFile</c> set, the broker must be signed by that CA: a certificate the system trusts is not enough.</summary>
public sealed class TlsTrustTests : IDisposable
{
    private readonly X509Certificate2 _fleetCa = Ca("CN=fleet CA");
    private readonly X509Certificate2 _publicCa = Ca("CN=some public CA");

    private static X509Certificate2 Ca(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 Broker(X509Certificate2 issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=broker.example.com", key, HashAlgorithmName.SHA256);
        return request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4]);
    }

    [Fact]
    public void CaFileSet_BrokerSignedByThatCa_IsAccepted()
    {
        using var broker = Broker(_fleetCa);
        Assert.Null(TlsTrust.Check(broker, SslPolicyErrors.RemoteCertificateChainErrors, _fleetCa, "broker.example.com"));
    }

    [Fact]
    public void CaFileSet_BrokerTheSystemTrustsButSignedByAnotherCa_IsRefused()
    {
        using var broker = Broker(_publicCa);
        // SslPolicyErrors.None: the system store trusts its issuer. With a caFile, only that CA counts.
        string? refusal = TlsTrust.Check(broker, SslPolicyErrors.None, _fleetCa, "broker.example.com");
        Assert.NotNull(refusal);
        Assert.Contains("not signed by the CA in mqtt.tls.caFile", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCaFile_TheSystemsVerdictStands()
    {
        using var broker = Broker(_publicCa);
        Assert.Null(TlsTrust.Check(broker, SslPolicyErrors.None, null, "broker.example.com"));
        Assert.Contains("set mqtt.tls.caFile", TlsTrust.Check(broker, SslPolicyErrors.RemoteCertificateChainErrors, null, "broker.example.com"), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _fleetCa.Dispose();
        _publicCa.Dispose();
    }
}

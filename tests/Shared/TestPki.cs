using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WorkerPool.Testing;

/// <summary>
/// A throwaway CA and client certificates made in-process (CertificateRequest, ECDSA P-256), written as PEM files
/// the way deploy-scripts/make-certs.sh writes them: ca.crt, NAME.crt and NAME.key. No openssl, no network.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;
    private int _serial = 1;

    /// <summary>Makes the CA, valid from <paramref name="notBefore"/> for a year, and writes ca.crt in <paramref name="dir"/>.</summary>
    public TestPki(string dir, DateTimeOffset notBefore)
    {
        Dir = dir;
        Directory.CreateDirectory(dir);
        var request = new CertificateRequest("CN=WorkerPool test CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = request.CreateSelfSigned(notBefore, notBefore.AddYears(1));
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
    }

    /// <summary>The folder the files are in.</summary>
    public string Dir { get; }

    /// <summary>The CA certificate, PEM.</summary>
    public string CaFile => Path.Combine(Dir, "ca.crt");

    /// <summary>Writes NAME.crt and NAME.key: a client certificate with CN <paramref name="cn"/> signed by the CA; returns their paths.</summary>
    public (string Cert, string Key) Client(string name, string cn, DateTimeOffset notBefore, DateTimeOffset notAfter, bool clientAuth = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        byte[] serial = BitConverter.GetBytes(++_serial);
        using var cert = request.Create(_ca, notBefore, notAfter, serial);
        string certFile = Path.Combine(Dir, name + ".crt"), keyFile = Path.Combine(Dir, name + ".key");
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
    }
}

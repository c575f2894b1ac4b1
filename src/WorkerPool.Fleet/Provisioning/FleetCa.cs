using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// The fleet's certificate authority: one self-signed ECDSA P-256 root (<c>ca.crt</c>, <c>ca.key</c>) that issues
/// the devices' client certificates, which the broker trusts to authenticate devices.
/// </summary>
internal sealed class FleetCa : IDisposable
{
    /// <summary>How long the CA is valid: it outlives many device certificates, and replacing it means re-provisioning every device.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(3652);

    /// <summary>How long a device certificate is valid; renew it over MQTT with <c>renew</c> (or re-issue with <c>provision</c>) before then.</summary>
    public static readonly TimeSpan DeviceLifetime = TimeSpan.FromDays(365);

    /// <summary>The TLS client-authentication extended key usage.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private FleetCa(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        Key = key;
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    private ECDsa Key { get; }

    /// <summary>The CA's folder when loaded from one: every certificate it issues is recorded under <c>issued/</c> there, for <c>ca revoke</c>.</summary>
    public string? Folder { get; private set; }

    /// <summary>A new CA named <paramref name="name"/>, valid from a few minutes ago (devices' clocks differ) for <see cref="Lifetime"/>.</summary>
    public static FleetCa Create(string name, DateTimeOffset now)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(CommonName(name), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + Lifetime);
        // Kept without its key: the key is held apart, in ca.key, and only used to sign.
        using (certificate) return new FleetCa(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
    }

    /// <summary>Loads <c>ca.crt</c> and <c>ca.key</c> from <paramref name="dir"/>; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public static FleetCa Load(string dir)
    {
        string certFile = Path.Combine(dir, "ca.crt"), keyFile = Path.Combine(dir, "ca.key");
        foreach (var f in new[] { certFile, keyFile })
            if (!File.Exists(f)) throw new ArgumentException($"{f} does not exist: make the fleet's CA with workerpool-fleet ca init --out {dir}");
        X509Certificate2 certificate;
        try { certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certFile)); }
        catch (CryptographicException ex) { throw new ArgumentException($"{certFile} is not a PEM certificate: {ex.Message}", ex); }
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyFile));
            if (!key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo()))
                throw new ArgumentException($"{keyFile} is not the key of {certFile}");
            return new FleetCa(certificate, key) { Folder = dir };
        }
        catch (ArgumentException ex) when (ex.ParamName is null)
        {
            // Ours: the key is not the certificate's.
            key.Dispose();
            certificate.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            key.Dispose();
            certificate.Dispose();
            throw new ArgumentException($"{keyFile} is not a PEM ECDSA private key: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <c>ca.crt</c> and <c>ca.key</c> (0600) into <paramref name="dir"/>.</summary>
    public void Save(string dir)
    {
        File.WriteAllText(Path.Combine(dir, "ca.crt"), Certificate.ExportCertificatePem());
        KeyFiles.WritePrivate(Path.Combine(dir, "ca.key"), Key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>
    /// Issues a client certificate for <paramref name="deviceId"/> (CN = the id, which the broker takes as the user
    /// name), with a new key; valid for <see cref="DeviceLifetime"/>, never past the CA's own end.
    /// </summary>
    public (X509Certificate2 Certificate, ECDsa Key) IssueDevice(string deviceId, DateTimeOffset now)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            return (IssueFor(deviceId, new CertificateRequest(CommonName(deviceId), key, HashAlgorithmName.SHA256).PublicKey, now), key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Issues the device profile (CN = <paramref name="deviceId"/>, clientAuth, <see cref="DeviceLifetime"/>) for a
    /// public key made elsewhere: the device's own, from its CSR (<c>renew</c>), whose private key never leaves it.
    /// Recorded under <see cref="Folder"/>'s <c>issued/</c>.
    /// </summary>
    public X509Certificate2 IssueFor(string deviceId, PublicKey publicKey, DateTimeOffset now)
    {
        var request = new CertificateRequest(CommonName(deviceId), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthOid)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var notAfter = now + DeviceLifetime;
        var caEnd = new DateTimeOffset(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > caEnd) notAfter = caEnd;
        using var signer = Certificate.CopyWithPrivateKey(Key);
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a serial number is a positive integer
        var certificate = request.Create(signer, now.AddMinutes(-5), notAfter, serial);
        if (Folder is { } dir) IssuedCertificates.Record(dir, deviceId, certificate);
        return certificate;
    }

    /// <summary>Signs <paramref name="builder"/>'s revocations as CRL number <paramref name="number"/> (DER).</summary>
    public byte[] SignCrl(CertificateRevocationListBuilder builder, System.Numerics.BigInteger number, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate)
    {
        using var signer = Certificate.CopyWithPrivateKey(Key);
        return builder.Build(signer, number, nextUpdate, HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
    }

    // Built, not parsed from "CN=" + name: a comma or quote in a CA name must not change the name's structure.
    private static X500DistinguishedName CommonName(string name)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        return builder.Build();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

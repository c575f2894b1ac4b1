using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace WorkerPool.Messaging;

/// <summary>Broker certificate checks: a custom CA (when given) and the server name are both required.</summary>
internal static class TlsTrust
{
    /// <summary>Null when the broker certificate is acceptable, else why not (for the log).</summary>
    public static string? Check(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2? ca, string expectedName)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return "the broker sent no certificate";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"broker certificate '{certificate.Subject}' is not valid for the name '{expectedName}'";
        // Without a caFile the system store decides; with one, only that CA does (a publicly trusted certificate for
        // the name is not enough: anyone can get one).
        if (ca is null) return errors == SslPolicyErrors.None ? null : $"broker certificate '{certificate.Subject}' is not trusted ({errors}); set mqtt.tls.caFile";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf) ? null : $"broker certificate '{certificate.Subject}' is not signed by the CA in mqtt.tls.caFile";
    }

    public static X509Certificate2 LoadClientCertificate(string certFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        // SslStream on Linux wants a key it can use from a PKCS#12 store, not an ephemeral PEM key.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}

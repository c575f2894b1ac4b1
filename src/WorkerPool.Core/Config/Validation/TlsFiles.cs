using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using WorkerPool.Config;

namespace WorkerPool.Config.Validation;

/// <summary>
/// The broker TLS files of a config, opened the way the MQTT connection opens them: the CA must be a certificate,
/// the client certificate a PEM certificate, its key a PEM private key that belongs to it, and (where the broker
/// takes the CN as the user name) its CN the device id. <see cref="Expiry"/> adds the dates, for <c>check</c> only:
/// a certificate that expires must not stop a device from counting into its outbox.
/// </summary>
public static class TlsFiles
{
    /// <summary>How long before a certificate expires <c>check</c> starts warning.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    private const string MakeCerts = "deploy-scripts/make-certs.sh";

    /// <summary>Adds every problem of the TLS files of <paramref name="mqtt"/> (which has TLS enabled).</summary>
    public static void Check(MqttOptions mqtt, string deviceId, Action<string, string> add)
    {
        var tls = mqtt.Tls;
        if (tls.CaFile is { Length: > 0 } caFile && Read(caFile, "mqtt.tls.caFile",
                $"copy the broker's CA certificate there, or make a test CA with {MakeCerts}", add) is { } caBytes)
        {
            try { using var ca = X509CertificateLoader.LoadCertificate(caBytes); }
            catch (CryptographicException ex)
            {
                add("mqtt.tls.caFile", $"'{caFile}' is not a certificate ({Clean(ex)}): it must hold the broker's CA certificate, PEM (-----BEGIN CERTIFICATE-----) or DER");
            }
        }

        X509Certificate2? cert = null;
        string? certText = null;
        try
        {
            if (tls.CertFile is { Length: > 0 } certFile && Read(certFile, "mqtt.tls.certFile",
                    $"copy this device's client certificate there, or make one with {MakeCerts} OUTDIR BROKER {Placeholder(deviceId)}", add) is { } certBytes)
            {
                certText = System.Text.Encoding.UTF8.GetString(certBytes);
                cert = LoadPemCertificate(certFile, certText, add);
            }
            byte[]? keyBytes = tls.KeyFile is { Length: > 0 } keyFile
                ? Read(keyFile, "mqtt.tls.keyFile", $"copy the private key of mqtt.tls.certFile there ({MakeCerts} writes NAME.key beside NAME.crt)", add)
                : null;
            if (cert is null || keyBytes is null) return;
            CheckKey(tls.KeyFile!, keyBytes, tls.CertFile!, cert, certText!, add);
            CheckClientUse(tls.CertFile!, cert, add);
            if (tls.CertificateCnIsUsername) CheckCn(tls.CertFile!, cert, deviceId, mqtt.TopicPrefix, add);
        }
        finally { cert?.Dispose(); }
    }

    /// <summary>
    /// Expired certificates (errors), ones that expire within <see cref="ExpiryWarning"/> or are not valid yet
    /// (warnings), among the CA and the client certificate. Files that do not load are skipped: <see cref="Check"/> names them.
    /// </summary>
    public static void Expiry(MqttTlsOptions tls, DateTimeOffset now, Action<string, string> error, Action<string, string> warning)
    {
        foreach (var (field, file) in new[] { ("mqtt.tls.caFile", tls.CaFile), ("mqtt.tls.certFile", tls.CertFile) })
        {
            if (string.IsNullOrEmpty(file) || !File.Exists(file)) continue;
            X509Certificate2 cert;
            try { cert = X509CertificateLoader.LoadCertificateFromFile(file); }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException) { continue; }
            using (cert)
            {
                var notAfter = new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                var notBefore = new DateTimeOffset(cert.NotBefore.ToUniversalTime(), TimeSpan.Zero);
                string what = field == "mqtt.tls.caFile" ? "the CA certificate" : "the client certificate";
                if (notAfter <= now)
                    error(field, $"'{file}': {what} expired on {notAfter:yyyy-MM-dd HH:mm} UTC, so the broker refuses the connection: renew it (for a test setup, {MakeCerts} makes new ones)");
                else if (notAfter - now <= ExpiryWarning)
                    warning(field, $"'{file}': {what} expires on {notAfter:yyyy-MM-dd HH:mm} UTC, in {Math.Ceiling((notAfter - now).TotalDays):0} day(s): renew it before then, or the device stops reaching the broker");
                if (notBefore > now)
                    warning(field, $"'{file}': {what} is valid only from {notBefore:yyyy-MM-dd HH:mm} UTC: is this device's clock right (timedatectl)?");
            }
        }
    }

    /// <summary>The file's bytes, or null after adding why they cannot be used (missing, unreadable, empty).</summary>
    private static byte[]? Read(string file, string field, string remedy, Action<string, string> add)
    {
        if (!File.Exists(file)) { add(field, $"'{file}' does not exist: {remedy}"); return null; }
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            add(field, $"'{file}' cannot be read ({ex.Message}): make it readable by the service user (chgrp workerpool, chmod 0640)");
            return null;
        }
        if (bytes.AsSpan().Trim(" \r\n\t"u8).IsEmpty) { add(field, $"'{file}' is empty: {remedy}"); return null; }
        return bytes;
    }

    private static X509Certificate2? LoadPemCertificate(string file, string text, Action<string, string> add)
    {
        if (!PemEncoding.TryFind(text, out var fields))
        {
            add("mqtt.tls.certFile", $"'{file}' is not PEM (no -----BEGIN CERTIFICATE----- block); a DER file converts with: openssl x509 -inform der -in '{file}' -out device.crt");
            return null;
        }
        string label = text[fields.Label];
        if (label != "CERTIFICATE")
        {
            add("mqtt.tls.certFile", $"'{file}' holds a {label}, not a CERTIFICATE: certFile is the client certificate, keyFile its private key");
            return null;
        }
        try { return X509Certificate2.CreateFromPem(text); }
        catch (CryptographicException ex)
        {
            add("mqtt.tls.certFile", $"'{file}' is not a valid certificate ({Clean(ex)}): copy it again from where it was made");
            return null;
        }
    }

    private static void CheckKey(string keyFile, byte[] bytes, string certFile, X509Certificate2 cert, string certText, Action<string, string> add)
    {
        string text = System.Text.Encoding.UTF8.GetString(bytes);
        if (!PemEncoding.TryFind(text, out var fields))
        {
            add("mqtt.tls.keyFile", $"'{keyFile}' is not a PEM private key (no -----BEGIN PRIVATE KEY----- block): use the key made with '{certFile}'");
            return;
        }
        string label = text[fields.Label];
        if (label == "ENCRYPTED PRIVATE KEY")
        {
            add("mqtt.tls.keyFile", $"'{keyFile}' is encrypted, and the service cannot enter a passphrase: store it decrypted (openssl pkey -in '{keyFile}' -out device.key), readable only by root and the workerpool group");
            return;
        }
        if (!label.EndsWith("PRIVATE KEY", StringComparison.Ordinal))
        {
            add("mqtt.tls.keyFile", $"'{keyFile}' holds a {label}, not a private key: keyFile is the private key made with '{certFile}'");
            return;
        }
        using AsymmetricAlgorithm? key = ImportPrivateKey(text);
        if (key is null)
        {
            add("mqtt.tls.keyFile", $"'{keyFile}' is not an RSA or ECDSA private key the service can use: use the key made with '{certFile}'");
            return;
        }
        byte[] keyPublic = key switch
        {
            ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
            RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
            _ => [],
        };
        if (!keyPublic.AsSpan().SequenceEqual(cert.PublicKey.ExportSubjectPublicKeyInfo()))
        {
            add("mqtt.tls.keyFile", $"'{keyFile}' is not the key of '{certFile}' (their public keys differ): use the key made with that certificate, " +
                $"or make a new pair with {MakeCerts}");
            return;
        }
        // The very call the MQTT connection makes, in case it refuses what the checks above accept.
        try { using var pair = X509Certificate2.CreateFromPem(certText, text); }
        catch (CryptographicException ex) { add("mqtt.tls.keyFile", $"'{keyFile}' and '{certFile}' do not load together ({Clean(ex)})"); }
    }

    private static AsymmetricAlgorithm? ImportPrivateKey(string pem)
    {
        foreach (var create in new Func<AsymmetricAlgorithm>[] { () => ECDsa.Create(), () => RSA.Create() })
        {
            var key = create();
            try
            {
                key.ImportFromPem(pem);
                return key;
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException) { key.Dispose(); }
        }
        return null;
    }

    private static void CheckClientUse(string certFile, X509Certificate2 cert, Action<string, string> add)
    {
        // No extended key usage means any use; one without clientAuth makes the broker's TLS library refuse it.
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is not null && !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.2"))
            add("mqtt.tls.certFile", $"'{certFile}' is not for client authentication (its extended key usage lacks clientAuth): the broker refuses it; " +
                $"make a client certificate ({MakeCerts} adds extendedKeyUsage=clientAuth)");
    }

    private static void CheckCn(string certFile, X509Certificate2 cert, string deviceId, string topicPrefix, Action<string, string> add)
    {
        string? cn = cert.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(r => !r.HasMultipleElements && r.GetSingleElementType().Value == "2.5.4.3")
            .Select(r => r.GetSingleElementValue())
            .FirstOrDefault();
        if (cn == deviceId) return;
        string what = cn is null ? "has no CN" : $"has CN '{cn}', not the deviceId '{deviceId}'";
        add("mqtt.tls.certFile", $"'{certFile}' {what}: the broker takes the CN as the user name, and its ACL gives each device {topicPrefix}/<user name>/# only. " +
            $"Make a certificate for {Placeholder(deviceId)} ({MakeCerts} OUTDIR BROKER {Placeholder(deviceId)}), or set mqtt.tls.certificateCnIsUsername: false if the broker maps users otherwise");
    }

    private static string Placeholder(string deviceId) => string.IsNullOrEmpty(deviceId) ? "DEVICE_ID" : deviceId;

    // .NET's messages end in a full stop, and ArgumentException's in "(Parameter '…')": neither reads well inside ours.
    private static string Clean(Exception ex)
    {
        string message = ex.Message;
        int parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (parameter >= 0) message = message[..parameter];
        return message.TrimEnd('.', ' ');
    }
}

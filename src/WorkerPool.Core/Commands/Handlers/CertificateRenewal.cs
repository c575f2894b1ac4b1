using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using WorkerPool.Config;
using WorkerPool.Control;
using WorkerPool.Messaging;
using WorkerPool.RemoteConfig;

namespace WorkerPool.Commands.Handlers;

/// <summary>
/// Where a renewal keeps its files: <c>{data directory}/tls/</c>, beside the outbox and the persisted config, where
/// the unprivileged service may write. <c>pending.key</c> is the key of the CSR last made; an installed certificate
/// and its key are named after the certificate's serial, so the one in use is never overwritten.
/// </summary>
internal static class CertificateFiles
{
    public static string Directory(DeviceConfig config) => Path.Combine(config.DataDirectory, "tls");

    public static string PendingKey(DeviceConfig config) => Path.Combine(Directory(config), "pending.key");

    /// <summary>Writes a secret readable by the owner only (0600 from its creation, not after).</summary>
    public static void WritePrivate(string path, string text)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// <c>renew-cert</c>: makes a new ECDSA P-256 key (kept as <c>tls/pending.key</c>, 0600; it never leaves the device)
/// and answers with a CSR for it, CN = the device id, for the fleet CA to sign (<c>workerpool-fleet renew</c>).
/// </summary>
public sealed class RenewCertCommand(IDeviceControl control) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "renew-cert";

    /// <inheritdoc />
    public Task<JsonNode?> RunAsync(JsonObject request)
    {
        var config = control.Config;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(config.DeviceId);
        var csr = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        string pem = csr.CreateSigningRequestPem();
        CertificateFiles.WritePrivate(CertificateFiles.PendingKey(config), key.ExportPkcs8PrivateKeyPem());
        return Task.FromResult<JsonNode?>(new JsonObject { ["csr"] = pem });
    }
}

/// <summary>
/// <c>install-cert</c> <c>{"certificate": PEM}</c>: checks that the certificate is for the pending key (from
/// <c>renew-cert</c>) and names the device, then moves the MQTT session to it the way a remote <c>mqtt</c> change
/// moves: a test connection with it first, the session after, back to the old certificate when that does not come
/// up; persisted like a remote config, so a restart keeps it. Answers whether it switched, and why not.
/// </summary>
public sealed class InstallCertCommand(IDeviceControl control, DesiredConfigProcessor processor, MqttConnection connection, TimeProvider time)
    : IReconnectingCommand
{
    /// <inheritdoc />
    public string Name => "install-cert";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        var config = control.Config;
        string pem = CommandException.RequiredString(request, "certificate", Name);
        if (!config.Mqtt.Tls.Enabled) throw new CommandException("install-cert: this device does not use TLS (mqtt.tls.enabled is false)");
        string pendingKey = CertificateFiles.PendingKey(config);
        if (!File.Exists(pendingKey)) throw new CommandException("install-cert: no pending key: send renew-cert first");
        X509Certificate2 certificate;
        try { certificate = X509Certificate2.CreateFromPem(pem); }
        catch (CryptographicException ex) { throw new CommandException("install-cert: certificate is not a PEM certificate: " + ex.Message); }
        using (certificate)
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(pendingKey));
            using (var certKey = certificate.GetECDsaPublicKey())
            {
                if (certKey is null || !certKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                    throw new CommandException("install-cert: the certificate is not for the pending key (send renew-cert, then sign that CSR)");
            }
            string cn = certificate.GetNameInfo(X509NameType.SimpleName, false);
            if (cn != config.DeviceId) throw new CommandException($"install-cert: the certificate names '{cn}', not this device ('{config.DeviceId}')");
            var now = time.GetUtcNow();
            if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime || certificate.NotBefore.ToUniversalTime() > now.UtcDateTime.AddMinutes(10))
                throw new CommandException($"install-cert: the certificate is not valid now (from {certificate.NotBefore.ToUniversalTime():O} to {certificate.NotAfter.ToUniversalTime():O})");

            string dir = CertificateFiles.Directory(config);
            string certFile = Path.Combine(dir, $"device-{certificate.SerialNumber}.crt"), keyFile = Path.Combine(dir, $"device-{certificate.SerialNumber}.key");
            File.WriteAllText(certFile, certificate.ExportCertificatePem() + "\n");
            CertificateFiles.WritePrivate(keyFile, key.ExportPkcs8PrivateKeyPem());
            var patch = new JsonObject { ["mqtt"] = new JsonObject { ["tls"] = new JsonObject { ["certFile"] = certFile, ["keyFile"] = keyFile } } };
            var reported = await processor.ApplyLocalAsync(patch, next => control.ApplyConfigAsync(next), connection).ConfigureAwait(false);
            if (reported.Status != "applied")
            {
                // The old certificate stays in use; the pending key stays too, for a corrected certificate.
                File.Delete(certFile);
                File.Delete(keyFile);
                throw new CommandException("install-cert: not switched: " + string.Join("; ", reported.Errors.Select(e => $"{e.Path}: {e.Message}")));
            }
            File.Delete(pendingKey);
            return new JsonObject
            {
                ["switched"] = true,
                ["serial"] = certificate.SerialNumber,
                ["notBefore"] = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                ["notAfter"] = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                ["certFile"] = certFile,
            };
        }
    }
}

using System.CommandLine;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// <c>ca revoke --ca DIR --device ID | --cert FILE</c>: adds a device's certificates (every one the CA issued to it,
/// as <c>issued/</c> records them) or one certificate to the CA's revocation list, <c>{ca}/ca.crl</c> (PEM, signed
/// by the CA, its CRL number one higher each time), which the broker's TLS listener checks (<c>crlfile</c>).
/// </summary>
internal static class RevokeVerb
{
    /// <summary>How long the list is valid: OpenSSL (and so Mosquitto) refuses every client once it is past its next update, so renew it (any <c>ca revoke</c>) before then.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    /// <summary>The <c>revoke</c> sub-verb of <c>ca</c>.</summary>
    public static Command Build()
    {
        var caDir = new Option<DirectoryInfo>("--ca") { Description = "Folder written by ca init", Required = true };
        var device = new Option<string[]>("--device") { Description = "Revoke every certificate issued to this device id (repeat for several)" };
        var cert = new Option<FileInfo[]>("--cert") { Description = "Revoke this certificate (PEM; repeat for several)" };
        var command = new Command("revoke", "Revoke device certificates: writes or updates ca.crl (the broker's crlfile; reload the broker after)") { caDir, device, cert };
        command.SetAction(r => Run(r.GetValue(caDir)!, r.GetValue(device) ?? [], r.GetValue(cert) ?? [], DateTimeOffset.UtcNow));
        return command;
    }

    /// <summary>Revokes and writes the list; exit 2 when nothing names a certificate this CA issued.</summary>
    public static int Run(DirectoryInfo caDir, IReadOnlyList<string> devices, IReadOnlyList<FileInfo> certs, DateTimeOffset now)
    {
        if (devices.Count == 0 && certs.Count == 0) return Fail("name what to revoke: --device ID or --cert FILE");
        try
        {
            using var ca = FleetCa.Load(caDir.FullName);
            var serials = new List<(string Serial, string What)>();
            var issued = IssuedCertificates.All(caDir.FullName);
            foreach (string id in devices)
            {
                var mine = issued.Where(e => e.DeviceId == id).ToList();
                if (mine.Count == 0) return Fail($"the CA in {caDir.FullName} issued no certificate to '{id}' (issued/ has no record of it)");
                serials.AddRange(mine.Select(e => (e.Serial, $"{id} (serial {e.Serial}, from {e.NotBefore:yyyy-MM-dd})")));
            }
            foreach (var file in certs)
            {
                if (!file.Exists) return Fail($"--cert {file.FullName} does not exist");
                using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(file.FullName));
                if (!SignedBy(certificate, ca.Certificate)) return Fail($"{file.FullName} was not issued by the CA in {caDir.FullName}");
                serials.Add((certificate.SerialNumber, $"{certificate.GetNameInfo(X509NameType.SimpleName, false)} (serial {certificate.SerialNumber})"));
            }

            string crlFile = Path.Combine(caDir.FullName, "ca.crl");
            BigInteger number = 0;
            var builder = File.Exists(crlFile)
                ? CertificateRevocationListBuilder.LoadPem(File.ReadAllText(crlFile), out number)
                : new CertificateRevocationListBuilder();
            foreach (var (serial, what) in serials)
            {
                byte[] number8 = Convert.FromHexString(serial);
                builder.RemoveEntry(number8); // a certificate revoked again is listed once
                builder.AddEntry(number8, now, X509RevocationReason.KeyCompromise);
                Console.WriteLine("revoked " + what);
            }
            var nextUpdate = now + Lifetime;
            var caEnd = new DateTimeOffset(ca.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            if (nextUpdate > caEnd) nextUpdate = caEnd;
            byte[] der = ca.SignCrl(builder, number + 1, now.AddMinutes(-5), nextUpdate);
            string temp = crlFile + ".tmp";
            File.WriteAllText(temp, PemEncoding.WriteString("X509 CRL", der) + "\n");
            File.Move(temp, crlFile, overwrite: true);
            Console.WriteLine($"{crlFile}: CRL number {number + 1}, valid until {nextUpdate:yyyy-MM-dd}; copy it to the broker's crlfile and reload the broker (SIGHUP)");
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or CryptographicException or InvalidDataException or System.Text.Json.JsonException or FormatException)
        {
            return Fail(ex.Message);
        }
    }

    private static bool SignedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        return chain.Build(certificate);
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("ca revoke: " + message);
        return ExitCodes.InvalidInput;
    }
}

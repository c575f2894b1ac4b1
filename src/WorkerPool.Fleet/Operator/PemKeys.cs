using System.Security.Cryptography;

namespace WorkerPool.Fleet.Operator;

/// <summary>Signing keys from PEM files: the fleet key, or the ingest's resend key.</summary>
internal static class PemKeys
{
    /// <summary>Loads an ECDSA P-256 private key; throws <see cref="ArgumentException"/> naming the file when it is not one.</summary>
    public static ECDsa LoadPrivate(FileInfo file)
    {
        string text = File.ReadAllText(file.FullName);
        if (text.Contains("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal) && !text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            throw new ArgumentException($"{file.FullName} holds a public key: sign with the private one (fleet-private.pem, from workerpool-fleet keygen); the public one goes in the device's security.fleetPublicKey");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(text);
            if (key.KeySize != 256) throw new ArgumentException($"{file.FullName}: an ECDSA P-256 key is needed, this one has {key.KeySize} bits");
            return key;
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new ArgumentException($"{file.FullName} is not a PEM ECDSA private key: {ex.Message}", ex);
        }
        catch (ArgumentException ex) when (ex.ParamName == "input")
        {
            // ImportFromPem's own message ends in "(Parameter 'input')", which tells an operator nothing.
            key.Dispose();
            throw new ArgumentException($"{file.FullName} holds no PEM private key (-----BEGIN PRIVATE KEY-----): make the fleet's keys with workerpool-fleet keygen --out DIR, which writes fleet-private.pem", ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}

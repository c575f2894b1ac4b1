using System.Security.Cryptography;

namespace WorkerPool.Fleet.Operator;

/// <summary>Signing keys from PEM files: the fleet key, or the ingest's resend key.</summary>
internal static class PemKeys
{
    /// <summary>Loads an ECDSA P-256 private key; throws <see cref="ArgumentException"/> naming the file when it is not one.</summary>
    public static ECDsa LoadPrivate(FileInfo file)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(file.FullName));
            if (key.KeySize != 256) throw new ArgumentException($"{file.FullName}: an ECDSA P-256 key is needed, this one has {key.KeySize} bits");
            return key;
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new ArgumentException($"{file.FullName} is not a PEM ECDSA private key: {ex.Message}", ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}

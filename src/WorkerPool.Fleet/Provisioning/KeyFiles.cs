using System.Security.Cryptography;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// Writes key pairs and private PEM files: private keys as PKCS#8 PEM readable by their owner only (0600),
/// public keys as SubjectPublicKeyInfo PEM, the formats <c>openssl pkey</c> and <c>openssl dgst -verify</c> read.
/// </summary>
internal static class KeyFiles
{
    /// <summary>Makes an ECDSA P-256 pair and writes <c>{name}-private.pem</c> and <c>{name}-public.pem</c> into <paramref name="dir"/>.</summary>
    public static void WritePair(string dir, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WritePrivate(Path.Combine(dir, name + "-private.pem"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(dir, name + "-public.pem"), key.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>Writes a secret; the file is created 0600 before anything is in it, so it is never readable by others.</summary>
    public static void WritePrivate(string path, string text)
    {
        File.Delete(path); // an existing file would keep its old, maybe wider, mode
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(text);
    }
}

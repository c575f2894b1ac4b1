using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace WorkerPool.Contracts;

/// <summary>
/// ECDSA P-256 / SHA-256 signatures by the fleet's private key over
/// <c>"workerpool-config-v1\n{deviceId}\n{version}\n" + canonical JSON of "config"</c>. The device id and version
/// are inside the signed bytes, so a config signed for one device or version cannot be replayed as another.
/// Signatures are base64 of the IEEE P1363 form (r‖s, 64 bytes) or of DER.
/// </summary>
public sealed class FleetSignature : IDisposable
{
    private readonly ECDsa _key;

    private FleetSignature(ECDsa key) => _key = key;

    /// <summary>Loads the fleet public key (PEM); throws <see cref="ArgumentException"/> when it is not an ECDSA P-256 key.</summary>
    public static FleetSignature FromPublicKeyPem(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256) throw new ArgumentException($"fleet key must be ECDSA P-256, this one has {key.KeySize} bits");
            return new FleetSignature(key);
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new ArgumentException("fleet key is not a PEM ECDSA public key: " + ex.Message, ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The bytes a desired config's signature covers.</summary>
    public static byte[] ConfigBytes(string deviceId, long version, JsonElement config)
    {
        var head = Encoding.UTF8.GetBytes($"workerpool-config-v1\n{deviceId}\n{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n");
        return [.. head, .. CanonicalJson.Bytes(config)];
    }

    /// <summary>Signs with a private key (the operator tool's side).</summary>
    public static string Sign(ECDsa privateKey, byte[] data) =>
        Convert.ToBase64String(privateKey.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    /// <summary>True when <paramref name="signatureBase64"/> is a valid signature of <paramref name="data"/> by the fleet key.</summary>
    public bool Verify(byte[] data, string? signatureBase64)
    {
        if (string.IsNullOrEmpty(signatureBase64) || signatureBase64.Length > 512) return false;
        byte[] signature;
        try { signature = Convert.FromBase64String(signatureBase64); }
        catch (FormatException) { return false; }
        var format = signature.Length == 64 ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence;
        try { return _key.VerifyData(data, signature, HashAlgorithmName.SHA256, format); }
        catch (CryptographicException) { return false; }
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}

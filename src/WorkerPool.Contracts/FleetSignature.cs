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

    /// <summary>
    /// Loads the fleet public key (PEM); throws <see cref="ArgumentException"/> when it is not an ECDSA P-256 public
    /// key, with a message that says what to paste instead (never .NET's "(Parameter 'input')").
    /// </summary>
    public static FleetSignature FromPublicKeyPem(string pem)
    {
        // The PEM label first: a private key would import (and then sit in a config that is not secret).
        if (!PemEncoding.TryFind(pem, out var fields))
            throw new ArgumentException("is not a PEM public key (no -----BEGIN PUBLIC KEY----- block): paste the whole public key file, " +
                "-----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY----- with its line breaks as \\n (workerpool-fleet keygen writes fleet-public.pem)");
        string label = pem[fields.Label];
        if (label.Contains("PRIVATE KEY", StringComparison.Ordinal))
            throw new ArgumentException($"is a private key ({label}): the device needs the public one only (fleet-public.pem from workerpool-fleet keygen); " +
                "this private key is now in a config file, so make a new key pair");
        if (label != "PUBLIC KEY")
            throw new ArgumentException($"is a PEM {label}, not a PUBLIC KEY: paste the fleet's public key file (fleet-public.pem from workerpool-fleet keygen)");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256) throw new ArgumentException($"must be an ECDSA P-256 key, this one has {key.KeySize} bits: make one with workerpool-fleet keygen");
            return new FleetSignature(key);
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new ArgumentException($"is not an ECDSA public key ({ex.Message.TrimEnd('.')}): paste fleet-public.pem from workerpool-fleet keygen", ex);
        }
        catch (ArgumentException ex) when (ex.ParamName is not null)
        {
            // ImportFromPem's own "(Parameter 'input')" messages: more than one key, or a body that is not base64.
            key.Dispose();
            throw new ArgumentException("is not a single well-formed PEM public key: paste exactly one -----BEGIN PUBLIC KEY----- block (fleet-public.pem from workerpool-fleet keygen)", ex);
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

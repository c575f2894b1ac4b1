using WorkerPool.Config;
using WorkerPool.Contracts;

namespace WorkerPool.RemoteConfig;

/// <summary>Which fleet key verified a signature.</summary>
public enum FleetKeyUsed
{
    /// <summary>Neither: the signature is missing or wrong.</summary>
    None,
    /// <summary><see cref="SecurityOptions.FleetPublicKey"/>.</summary>
    Current,
    /// <summary><see cref="SecurityOptions.FleetPublicKeyNext"/>, installed for a rotation.</summary>
    Next,
}

/// <summary>
/// The fleet keys of the config in effect: the current one and, during a rotation, the next one. Both verify
/// configs and commands. The keys are parsed again only when the config's PEM text changes.
/// </summary>
public sealed class FleetKeys : IDisposable
{
    private readonly object _lock = new();
    private (string? Current, string? Next) _pem;
    private FleetSignature? _current, _next;

    /// <summary>True when <paramref name="security"/> names a current fleet key (changes must then be signed).</summary>
    public static bool Required(SecurityOptions? security) => !string.IsNullOrEmpty(security?.FleetPublicKey);

    /// <summary>Which of the keys in <paramref name="security"/> verifies <paramref name="signature"/> over <paramref name="data"/>.</summary>
    public FleetKeyUsed Verify(SecurityOptions? security, byte[] data, string? signature)
    {
        lock (_lock)
        {
            Load(security);
            if (_current?.Verify(data, signature) == true) return FleetKeyUsed.Current;
            if (_next?.Verify(data, signature) == true) return FleetKeyUsed.Next;
            return FleetKeyUsed.None;
        }
    }

    private void Load(SecurityOptions? security)
    {
        var pem = (security?.FleetPublicKey, security?.FleetPublicKeyNext);
        if (pem == _pem) return;
        _current?.Dispose();
        _next?.Dispose();
        _current = Parse(pem.Item1);
        _next = Parse(pem.Item2);
        _pem = pem;
    }

    // An unparsable key verifies nothing (the validator refuses such a config with the reason).
    private static FleetSignature? Parse(string? pem)
    {
        if (string.IsNullOrEmpty(pem)) return null;
        try { return FleetSignature.FromPublicKeyPem(pem); }
        catch (ArgumentException) { return null; }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _current?.Dispose();
        _next?.Dispose();
    }
}

namespace WorkerPool.Fleet.Rollout;

/// <summary>
/// The waves of a rollout: the canary (at least one device, <c>--canary</c> percent of the selection rounded up)
/// and then the rest, which get the release only once every canary reported healthy. Devices are taken in id order,
/// so the same selection always makes the same canary.
/// </summary>
internal sealed record RolloutPlan(IReadOnlyList<string> Canary, IReadOnlyList<string> Rest)
{
    /// <summary>Splits <paramref name="devices"/> into the canary and the rest.</summary>
    public static RolloutPlan Make(IEnumerable<string> devices, double canaryPercent)
    {
        var all = devices.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (all.Count == 0) return new([], []);
        int canary = Math.Clamp((int)Math.Ceiling(all.Count * Math.Clamp(canaryPercent, 0, 100) / 100.0), 1, all.Count);
        return new(all[..canary], all[canary..]);
    }

    /// <summary>The waves in order, empty ones left out.</summary>
    public IEnumerable<IReadOnlyList<string>> Waves => new[] { Canary, Rest }.Where(w => w.Count > 0);
}

/// <summary>Where a rollout stands: each device's state, and whether it must halt.</summary>
internal sealed class RolloutProgress(int maxFailures)
{
    private readonly Dictionary<string, (string State, string? Reason)> _devices = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="device"/>'s state; true when it changed.</summary>
    public bool Set(string device, string state, string? reason)
    {
        if (_devices.TryGetValue(device, out var was) && was == (state, reason)) return false;
        // A final state stays: a late "downloading" (a retained message read again) cannot undo "healthy".
        if (_devices.TryGetValue(device, out was) && IsFinal(was.State) && !IsFinal(state)) return false;
        _devices[device] = (state, reason);
        return true;
    }

    /// <summary>The device's state, or null when it was never given the release.</summary>
    public string? StateOf(string device) => _devices.TryGetValue(device, out var s) ? s.State : null;

    /// <summary>Devices whose rollout failed (rolled back, refused, failed, timed out).</summary>
    public int Failures => _devices.Values.Count(s => IsFailure(s.State));

    /// <summary>True once <c>--max-failures</c> devices failed: no further wave is started.</summary>
    public bool MustHalt => Failures >= maxFailures;

    /// <summary>True when every device of <paramref name="wave"/> reached a final state.</summary>
    public bool Done(IEnumerable<string> wave) => wave.All(d => StateOf(d) is { } s && IsFinal(s));

    /// <summary>States that end a device's part in a rollout.</summary>
    public static bool IsFinal(string state) => Contracts.SoftwareState.IsFinal(state) || state == "timed-out";

    /// <summary>Final states that count as a failure.</summary>
    public static bool IsFailure(string state) => Contracts.SoftwareState.IsFailure(state) || state == "timed-out";
}

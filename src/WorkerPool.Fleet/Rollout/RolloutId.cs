using System.Text.RegularExpressions;

namespace WorkerPool.Fleet.Rollout;

/// <summary>The rule for rollout ids, the device's own (it refuses others): one plain name.</summary>
internal static partial class RolloutId
{
    /// <summary>True for 1 to 128 letters, digits, '.', '+', '_' or '-', not starting with a punctuation mark.</summary>
    public static bool IsValid(string id) => Pattern().IsMatch(id);

    [GeneratedRegex("^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$")]
    private static partial Regex Pattern();
}

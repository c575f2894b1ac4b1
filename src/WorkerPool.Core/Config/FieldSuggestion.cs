namespace WorkerPool.Config;

/// <summary>Near matches of a mistyped field name among the names an object takes.</summary>
internal static class FieldSuggestion
{
    /// <summary>
    /// The names closest to <paramref name="name"/> (case-insensitive edit distance, at most a third of its length
    /// and at least 1, up to 2; or names it is the start of, like <c>password</c> for <c>passwordFile</c>), best first, at most two.
    /// </summary>
    public static List<string> Closest(string name, IReadOnlyList<string> candidates)
    {
        int limit = Math.Clamp(name.Length / 3, 1, 2);
        var scored = candidates
            .Select(c => (Name: c, Distance: Distance(name.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name).ToList();
        if (scored.Count == 0 && name.Length >= 3)
            scored = [.. candidates.Where(c => c.StartsWith(name, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)];
        return scored.Take(2).ToList();
    }

    /// <summary>Edit distance counting insertions, deletions, substitutions and swaps of two neighbours (<c>hots</c> → <c>host</c> is 1): optimal string alignment.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}

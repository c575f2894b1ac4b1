namespace WorkerPool.Config.Validation;

/// <summary>
/// Count windows that tile the fleet's buckets: windows start at wall-clock multiples of their length, and the
/// dashboard sums them by minute, hour and day (<c>date_trunc</c> on the window start). A window that divides a
/// minute, or is whole minutes dividing an hour, or whole hours dividing a day, never straddles a bucket; any
/// other (7 s, 45 s) puts counts from two minutes or hours into one.
/// </summary>
public static class WindowAlignment
{
    /// <summary>True for 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30; 60, 120, 180 … 3600; 7200, 10800 … 86400.</summary>
    public static bool Tiles(int seconds) => seconds > 0 && (
        60 % seconds == 0
        || (seconds % 60 == 0 && 3600 % seconds == 0)
        || (seconds % 3600 == 0 && 86400 % seconds == 0));

    /// <summary>The aligned lengths on either side of <paramref name="seconds"/>, as advice: <c>6 or 10</c>, <c>30 or 60</c>.</summary>
    public static string Nearest(int seconds)
    {
        int below = seconds, above = seconds;
        while (below > 1 && !Tiles(below)) below--;
        while (above < 86400 && !Tiles(above)) above++;
        return below == above ? $"{below}" : $"{below} or {above}";
    }
}

using System.Text.RegularExpressions;

namespace WorkerPool.Config;

/// <summary>System.Text.Json's exception messages, cut down and put in the config's terms.</summary>
internal static partial class JsonMessages
{
    [GeneratedRegex(@"(System|WorkerPool)\.[A-Za-z0-9_.`]+(\[\])?(\[[^\]]+\])?")]
    private static partial Regex DotNetType();

    /// <summary>The message without its trailing "Path: … | LineNumber: … | BytePositionInLine: …" (said elsewhere, 1-based).</summary>
    public static string WithoutPosition(string message)
    {
        foreach (string marker in (ReadOnlySpan<string>)[" Path: ", " LineNumber: "])
        {
            int at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) message = message[..at];
        }
        return message.TrimEnd();
    }

    /// <summary>.NET type names (<c>System.Int32</c>, <c>System.Double[]</c>) replaced by JSON ones (a whole number, an array of numbers).</summary>
    public static string InJsonTerms(string message) => DotNetType().Replace(message, m => m.Value switch
    {
        "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" => "a whole number",
        "System.Double" or "System.Single" or "System.Decimal" => "a number",
        "System.String" => "a string",
        "System.Boolean" => "true or false",
        "System.Double[]" or "System.Single[]" => "an array of numbers",
        _ when m.Value.StartsWith("System.Collections.Generic.Dictionary", StringComparison.Ordinal) => "an object",
        _ when m.Value.StartsWith("System.Collections.Generic.List", StringComparison.Ordinal) || m.Value.EndsWith("[]", StringComparison.Ordinal) => "an array",
        _ when m.Value.StartsWith("WorkerPool.", StringComparison.Ordinal) => "an object",
        _ => "a value",
    });
}

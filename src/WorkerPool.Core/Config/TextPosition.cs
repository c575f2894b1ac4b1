using System.Text;

namespace WorkerPool.Config;

/// <summary>Turns System.Text.Json's 0-based line and byte offset into the line and column a person counts (1-based, in characters).</summary>
internal static class TextPosition
{
    /// <summary><c>line 3, column 14</c>, or <c>the end of the text</c> when the reader gave no position.</summary>
    public static string Describe(string text, long? line, long? bytePositionInLine)
    {
        if (line is not { } l || bytePositionInLine is not { } b) return "an unknown position";
        return $"line {l + 1}, column {Column(text, l, b)}";
    }

    /// <summary>1-based column in characters of byte offset <paramref name="bytes"/> in 0-based line <paramref name="line"/>.</summary>
    public static long Column(string text, long line, long bytes)
    {
        int start = 0;
        for (long i = 0; i < line && start >= 0; i++)
        {
            int next = text.IndexOf('\n', start);
            start = next < 0 ? -1 : next + 1;
        }
        if (start < 0) return bytes + 1;
        int end = text.IndexOf('\n', start);
        string lineText = end < 0 ? text[start..] : text[start..end];
        byte[] utf8 = Encoding.UTF8.GetBytes(lineText);
        int take = (int)Math.Min(bytes, utf8.Length);
        return Encoding.UTF8.GetCharCount(utf8, 0, take) + 1;
    }
}

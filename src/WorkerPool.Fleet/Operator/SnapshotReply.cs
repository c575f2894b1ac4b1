using System.Text.Json;

namespace WorkerPool.Fleet.Operator;

/// <summary>The picture in a device's reply to <c>snapshot</c>: <c>{"ok":true,"result":{"width","height","jpeg":base64}}</c>.</summary>
internal sealed record SnapshotReply(byte[] Jpeg, int Width, int Height)
{
    /// <summary>The reply's picture, or null with <paramref name="error"/> saying why there is none (the device's own error, or a malformed reply).</summary>
    public static SnapshotReply? Parse(string text, out string? error)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ok", out var ok) || ok.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Fail("the reply is not a command reply", out error);
            if (!ok.GetBoolean())
                return Fail(root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "refused, without a reason", out error);
            if (!root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object
                || !result.TryGetProperty("jpeg", out var jpegText) || jpegText.ValueKind != JsonValueKind.String)
                return Fail("the reply carries no picture", out error);
            if (!jpegText.TryGetBytesFromBase64(out var jpeg)) return Fail("the reply's picture is not base64", out error);
            // Every JPEG starts with a start-of-image marker; anything else would be written as a .jpg that no viewer opens.
            if (jpeg is not [0xFF, 0xD8, 0xFF, ..]) return Fail("the reply's picture is not a JPEG", out error);
            int width = result.TryGetProperty("width", out var w) && w.TryGetInt32(out int wv) ? wv : 0;
            int height = result.TryGetProperty("height", out var h) && h.TryGetInt32(out int hv) ? hv : 0;
            error = null;
            return new SnapshotReply(jpeg, width, height);
        }
        catch (JsonException ex)
        {
            return Fail($"the reply is not JSON ({ex.Message})", out error);
        }
    }

    private static SnapshotReply? Fail(string reason, out string? error)
    {
        error = reason;
        return null;
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WorkerPool.Contracts;

/// <summary>The bytes a command's signature covers; the operator tool signs them and the device verifies them.</summary>
public static class CommandSignature
{
    /// <summary>
    /// <c>"workerpool-cmd-v2\n{deviceId}\n{name}\n{responseTopic}\n{base64(correlationData)}\n"</c> + canonical JSON of
    /// the request without its <c>signature</c> field (its <c>time</c> and <c>nonce</c> included). Where the answer
    /// goes is signed, so a captured command cannot be redirected.
    /// </summary>
    public static byte[] Bytes(string deviceId, string name, string responseTopic, ReadOnlySpan<byte> correlationData, JsonObject request)
    {
        var unsigned = (JsonObject)request.DeepClone();
        unsigned.Remove("signature");
        using var doc = JsonDocument.Parse(unsigned.ToJsonString());
        string head = $"workerpool-cmd-v2\n{deviceId}\n{name}\n{responseTopic}\n{Convert.ToBase64String(correlationData)}\n";
        return [.. Encoding.UTF8.GetBytes(head), .. CanonicalJson.Bytes(doc.RootElement)];
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;

namespace WorkerPool.Fleet.Operator;

/// <summary>
/// Sends one command to a device with MQTT 5 request/response and waits for its reply on
/// <c>{prefix}/{device}/replies/{requester}</c>; signed with the fleet key when the target has one.
/// </summary>
internal static class DeviceCommand
{
    /// <summary>
    /// The reply's text, or null when none came within the target's timeout. Throws <see cref="ArgumentException"/>
    /// for a signing key that is not one, and MQTTnet's exceptions when the broker cannot be reached.
    /// </summary>
    public static async Task<string?> SendAsync(OperatorTarget t, string name, JsonObject request, CancellationToken token)
    {
        string responseTopic = new Topics(t.Prefix, t.Device).Replies("operator-" + Guid.NewGuid().ToString("N"));
        byte[] correlation = Guid.NewGuid().ToByteArray();
        if (t.SigningKey is not null)
        {
            // Signed with where the answer goes, and new every time: a captured command cannot be sent again or redirected.
            request["time"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            request["nonce"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            using var key = PemKeys.LoadPrivate(t.SigningKey);
            request["signature"] = FleetSignature.Sign(key, CommandSignature.Bytes(t.Device, name, responseTopic, correlation, request));
        }
        using var client = new MqttClientFactory().CreateMqttClient();
        var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += e => { reply.TrySetResult(Encoding.UTF8.GetString(e.ApplicationMessage.Payload)); return Task.CompletedTask; };
        await client.ConnectAsync(t.ClientOptions(), token).ConfigureAwait(false);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(responseTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), token).ConfigureAwait(false);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"{t.Root}/cmd/{name}").WithPayload(request.ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithResponseTopic(responseTopic)
            .WithCorrelationData(correlation).Build(), token).ConfigureAwait(false);
        try { return await reply.Task.WaitAsync(t.Timeout, token).ConfigureAwait(false); }
        catch (TimeoutException) { return null; }
    }
}

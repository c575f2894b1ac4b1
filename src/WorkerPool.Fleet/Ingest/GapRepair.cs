using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Ingest;

/// <summary>
/// Asks devices for the records the ledger misses: every unexplained gap, once it is older than the grace time, gets
/// a <c>resend</c> command (at most once per gap per interval, across all instances), signed with the ingest's resend
/// key when one is given. The device republishes the records from its archive with their messageIds, and the ledger
/// closes as they arrive.
/// </summary>
internal sealed class GapRepair(ResendRequests requests, IngestOptions options, ECDsa? resendKey, TimeProvider time)
{
    private const int MaxPerRound = 50;

    /// <summary>The reply topic's last level: replies come back under each device's own topics.</summary>
    public string Requester => "ingest-" + options.ClientId;

    /// <summary>Takes the due gaps and builds one command per gap, ready to publish.</summary>
    public async Task<IReadOnlyList<MqttApplicationMessage>> DueCommandsAsync(CancellationToken token)
    {
        var due = await requests.TakeDueAsync(options.GapGrace, options.ResendInterval, MaxPerRound, token).ConfigureAwait(false);
        return [.. due.Select(Command)];
    }

    private MqttApplicationMessage Command(ResendRequest r)
    {
        var topics = new Topics(options.Prefix, r.Device);
        string responseTopic = topics.Replies(Requester);
        byte[] correlation = Guid.NewGuid().ToByteArray();
        var request = new JsonObject { ["camera"] = r.Camera, ["fromSeq"] = r.FromSeq, ["toSeq"] = r.ToSeq };
        if (resendKey is not null)
        {
            request["time"] = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            request["nonce"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            request["signature"] = FleetSignature.Sign(resendKey, CommandSignature.Bytes(r.Device, "resend", responseTopic, correlation, request));
        }
        return new MqttApplicationMessageBuilder().WithTopic(topics.Root + "/cmd/resend").WithPayload(request.ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithResponseTopic(responseTopic).WithCorrelationData(correlation).Build();
    }
}

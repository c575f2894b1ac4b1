using System.CommandLine;
using System.Text.Json.Nodes;
using MQTTnet;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Broker;
using WorkerPool.Fleet.Operator;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// <c>decommission --device ID --ca DIR --signing-key FILE [broker options]</c>: retires a device for good, in the
/// order that leaves no way back in: the signed <c>decommission</c> command (its root helper stops and disables the
/// service and wipes its private keys), then every certificate the CA issued to it is revoked (<c>ca revoke</c>), then
/// the desired config and desired software retained for it are cleared. A device that does not answer (off, stolen)
/// is still revoked: the broker refuses it once it loads the new <c>ca.crl</c>.
/// </summary>
internal static class DecommissionVerb
{
    public static Command Build()
    {
        var broker = new BrokerArguments(caOption: "--broker-ca");
        var device = new Option<string>("--device") { Description = "Device id", Required = true };
        var caDir = new Option<DirectoryInfo>("--ca") { Description = "Folder written by ca init (its ca.crl is updated)", Required = true };
        var signingKey = new Option<FileInfo>("--signing-key") { Description = "Fleet private key (PEM) that signs the command", Required = true };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the device's answer", DefaultValueFactory = _ => 30 };
        var command = new Command("decommission", "Retire a device: it stops and wipes its keys, its certificates are revoked, its retained desired state is cleared")
        {
            device, caDir, signingKey, timeout,
        };
        broker.AddTo(command);
        command.SetAction((r, token) => RunAsync(new OperatorTarget(broker.Endpoint(r), r.GetValue(broker.Prefix)!, r.GetValue(device)!, r.GetValue(signingKey),
            TimeSpan.FromSeconds(r.GetValue(timeout))), r.GetValue(caDir)!, token));
        return command;
    }

    private static async Task<int> RunAsync(OperatorTarget target, DirectoryInfo caDir, CancellationToken token)
    {
        if (!DeviceBundle.IsValidId(target.Device)) return await FailAsync($"'{target.Device}' is not a device id").ConfigureAwait(false);
        bool answered = false;
        try
        {
            string? reply = await DeviceCommand.SendAsync(target, "decommission", new JsonObject { ["confirm"] = target.Device }, token).ConfigureAwait(false);
            answered = reply is not null && reply.Contains("\"ok\":true", StringComparison.Ordinal);
            Console.WriteLine(reply ?? $"no answer from {target.Device} within {target.Timeout.TotalSeconds:0} s: revoking it anyway (it is refused once the broker loads ca.crl)");
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or TimeoutException or OperationCanceledException && !token.IsCancellationRequested)
        {
            Console.WriteLine($"the broker cannot be reached ({ex.Message}): revoking {target.Device} anyway");
        }

        int revoked = RevokeVerb.Run(caDir, [target.Device], [], DateTimeOffset.UtcNow);
        if (revoked != ExitCodes.Ok) return revoked;
        try { await ClearRetainedAsync(target, token).ConfigureAwait(false); }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or TimeoutException)
        {
            Console.WriteLine($"the retained desired state of {target.Device} could not be cleared ({ex.Message}): run decommission again once the broker answers");
            return ExitCodes.Failure;
        }
        Console.WriteLine($"{target.Device} decommissioned{(answered ? "" : " (it did not confirm: check it is off or gone)")}");
        return answered ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static async Task ClearRetainedAsync(OperatorTarget target, CancellationToken token)
    {
        var topics = new Topics(target.Prefix, target.Device);
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(target.ClientOptions(), token).ConfigureAwait(false);
        foreach (string topic in new[] { topics.ConfigDesired, topics.SoftwareDesired })
            await RetainedMessage.ClearAsync(client, topic, token).ConfigureAwait(false);
        await client.DisconnectAsync(cancellationToken: token).ConfigureAwait(false);
    }

    private static async Task<int> FailAsync(string message)
    {
        await Console.Error.WriteLineAsync("decommission: " + message).ConfigureAwait(false);
        return ExitCodes.InvalidInput;
    }
}

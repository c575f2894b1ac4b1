using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Broker;

namespace WorkerPool.Fleet.Operator;

/// <summary>
/// The operator's tools: <c>keygen</c> makes the fleet key pair, <c>config</c> signs and publishes a desired config and
/// prints the device's answer, <c>cmd</c> sends a command and prints the reply, <c>snapshot</c> saves a camera's
/// annotated frame.
/// </summary>
internal static class OperatorCommands
{
    public static IEnumerable<Command> Build()
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder for fleet-private.pem and fleet-public.pem", Required = true };
        var keygen = new Command("keygen", "Generate the fleet's ECDSA P-256 key pair") { outDir };
        keygen.SetAction(r => Keygen(r.GetValue(outDir)!));

        var broker = new BrokerArguments();
        var device = new Option<string>("--device") { Description = "Device id", Required = true };
        var signingKey = new Option<FileInfo?>("--signing-key") { Description = "Fleet private key (PEM) to sign with" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the device", DefaultValueFactory = _ => 30 };

        var version = new Option<long>("--version") { Description = "Config version (must be higher than the applied one)", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "JSON object of the config fields to change (merge patch)", Required = true };
        var config = new Command("config", "Sign and publish a desired config (retained) and print the device's reported answer") { version, file };
        var name = new Option<string>("--name") { Description = "Command name (ping, get-config, get-stats, get-logs, restart-camera, flush-outbox, snapshot, resend)", Required = true };
        var args = new Option<string>("--args") { Description = "Command arguments as a JSON object", DefaultValueFactory = _ => "{}" };
        var cmd = new Command("cmd", "Send a command and print the reply") { name, args };
        OperatorTarget Target(ParseResult r) => new(broker.Endpoint(r), r.GetValue(broker.Prefix)!, r.GetValue(device)!, r.GetValue(signingKey),
            TimeSpan.FromSeconds(r.GetValue(timeout)));
        var snapshot = SnapshotVerb.Build(Target);
        foreach (var c in new[] { config, cmd, snapshot })
        {
            broker.AddTo(c);
            foreach (Option o in new Option[] { device, signingKey, timeout }) c.Options.Add(o);
        }
        config.SetAction((r, token) => PublishConfigAsync(Target(r), r.GetValue(version), r.GetValue(file)!, token));
        cmd.SetAction((r, token) => SendCommandAsync(Target(r), r.GetValue(name)!, r.GetValue(args)!, token));

        return [keygen, config, cmd, snapshot];
    }

    private static int Keygen(DirectoryInfo dir)
    {
        dir.Create();
        Provisioning.KeyFiles.WritePair(dir.FullName, "fleet");
        Console.WriteLine($"fleet keys in {dir.FullName}: keep fleet-private.pem secret; put fleet-public.pem in security.fleetPublicKey");
        return ExitCodes.Ok;
    }

    private static async Task<int> PublishConfigAsync(OperatorTarget t, long version, FileInfo patchFile, CancellationToken token)
    {
        using var patchDoc = JsonDocument.Parse(File.ReadAllText(patchFile.FullName));
        if (patchDoc.RootElement.ValueKind != JsonValueKind.Object) { await Console.Error.WriteLineAsync("--file must hold a JSON object").ConfigureAwait(false); return ExitCodes.InvalidInput; }
        var desired = new JsonObject { ["version"] = version, ["config"] = JsonNode.Parse(patchDoc.RootElement.GetRawText()) };
        if (t.SigningKey is not null)
        {
            using var key = PemKeys.LoadPrivate(t.SigningKey);
            desired["signature"] = FleetSignature.Sign(key, FleetSignature.ConfigBytes(t.Device, version, patchDoc.RootElement));
        }
        using var client = new MqttClientFactory().CreateMqttClient();
        var reported = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += e =>
        {
            string text = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.TryGetProperty("version", out var v) && v.GetInt64() == version) reported.TrySetResult(text);
            return Task.CompletedTask;
        };
        await client.ConnectAsync(t.ClientOptions(), token).ConfigureAwait(false);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"{t.Root}/config/reported", MqttQualityOfServiceLevel.AtLeastOnce).Build(), token).ConfigureAwait(false);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"{t.Root}/config/desired").WithPayload(desired.ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(true).Build(), token).ConfigureAwait(false);
        try
        {
            string text = await reported.Task.WaitAsync(t.Timeout, token).ConfigureAwait(false);
            Console.WriteLine(text);
            return text.Contains("\"status\":\"applied\"", StringComparison.Ordinal) ? ExitCodes.Ok : ExitCodes.Failure;
        }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync($"no answer from {t.Device} within {t.Timeout.TotalSeconds:0} s (it gets the retained config when it connects)").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> SendCommandAsync(OperatorTarget t, string name, string argsJson, CancellationToken token)
    {
        if (JsonNode.Parse(argsJson) is not JsonObject request) { await Console.Error.WriteLineAsync("--args must be a JSON object").ConfigureAwait(false); return ExitCodes.InvalidInput; }
        string? reply = await DeviceCommand.SendAsync(t, name, request, token).ConfigureAwait(false);
        if (reply is null)
        {
            await Console.Error.WriteLineAsync($"no reply from {t.Device} within {t.Timeout.TotalSeconds:0} s").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        Console.WriteLine(reply);
        return reply.Contains("\"ok\":true", StringComparison.Ordinal) ? ExitCodes.Ok : ExitCodes.Failure;
    }
}

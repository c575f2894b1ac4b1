using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using WorkerPool.Fleet.Broker;
using WorkerPool.Fleet.Operator;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// <c>renew --device ID --ca DIR --broker HOST:PORT --key fleet-private.pem</c>: renews a device's certificate over
/// MQTT, without a visit and without its key ever leaving it. Sends <c>renew-cert</c> (the device makes a new key and
/// answers with a CSR), checks the CSR (its signature, CN = the device id, P-256), issues the same profile as
/// <c>provision</c> from the fleet CA (recorded under <c>issued/</c>), and sends <c>install-cert</c>: the device
/// switches once a test connection with the new certificate succeeded, and answers whether it did.
/// </summary>
internal static class RenewVerb
{
    /// <summary>The NIST P-256 curve's OID, the only key a device certificate has.</summary>
    private const string P256 = "1.2.840.10045.3.1.7";

    /// <summary>The verb and its options (the broker's CA is <c>--broker-ca</c> here: <c>--ca</c> names the fleet CA's folder, as for <c>provision</c>).</summary>
    public static Command Build()
    {
        var device = new Option<string>("--device") { Description = "Device id", Required = true };
        var caDir = new Option<DirectoryInfo>("--ca") { Description = "Folder written by ca init", Required = true };
        var key = new Option<FileInfo>("--key", "--signing-key") { Description = "Fleet private key (PEM) that signs the two commands", Required = true };
        var broker = new BrokerArguments(caOption: "--broker-ca");
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for each answer (the switch takes up to twice the device's mqtt.switchTimeoutSeconds)", DefaultValueFactory = _ => 90 };
        var command = new Command("renew", "Renew a device's certificate over MQTT: CSR from the device, signed by the fleet CA, installed after a test connection")
        {
            device, caDir, key, timeout,
        };
        broker.AddTo(command);
        command.SetAction((r, token) =>
        {
            var target = new OperatorTarget(broker.Endpoint(r), r.GetValue(broker.Prefix)!, r.GetValue(device)!, r.GetValue(key), TimeSpan.FromSeconds(r.GetValue(timeout)));
            return RunAsync(target, r.GetValue(caDir)!, token);
        });
        return command;
    }

    private static async Task<int> RunAsync(OperatorTarget target, DirectoryInfo caDir, CancellationToken token)
    {
        if (!DeviceBundle.IsValidId(target.Device)) return Fail($"'{target.Device}' is not a device id");
        try
        {
            using var ca = FleetCa.Load(caDir.FullName);
            var csrReply = await AskAsync(target, "renew-cert", [], token).ConfigureAwait(false);
            string csrPem = csrReply["csr"]?.GetValue<string>() ?? throw new InvalidDataException("renew-cert answered without a csr");
            PublicKey publicKey = CheckCsr(csrPem, target.Device);
            using var issued = ca.IssueFor(target.Device, publicKey, DateTimeOffset.UtcNow);
            Console.WriteLine($"issued {target.Device} serial {issued.SerialNumber}, valid until {issued.NotAfter.ToUniversalTime():yyyy-MM-dd}");
            var installed = await AskAsync(target, "install-cert", new JsonObject { ["certificate"] = issued.ExportCertificatePem() }, token).ConfigureAwait(false);
            Console.WriteLine(new JsonObject { ["ok"] = true, ["result"] = installed.DeepClone() }.ToJsonString());
            return ExitCodes.Ok;
        }
        catch (DeviceRefusedException ex)
        {
            Console.WriteLine(ex.Reply);
            return Fail(ex.Message, ExitCodes.Failure);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or CryptographicException or InvalidDataException or TimeoutException
            or MQTTnet.Exceptions.MqttCommunicationException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return Fail(ex.Message, ex is TimeoutException or MQTTnet.Exceptions.MqttCommunicationException ? ExitCodes.Failure : ExitCodes.InvalidInput);
        }
    }

    /// <summary>The CSR's public key, once it verifies, names the device and is P-256; else <see cref="InvalidDataException"/> saying why.</summary>
    internal static PublicKey CheckCsr(string csrPem, string deviceId)
    {
        CertificateRequest request;
        try { request = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default); }
        catch (CryptographicException ex) { throw new InvalidDataException("the device's CSR does not verify: " + ex.Message, ex); }
        string? cn = request.SubjectName.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(n => n.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
        if (cn != deviceId) throw new InvalidDataException($"the device's CSR names '{cn}', not '{deviceId}'");
        using var key = request.PublicKey.GetECDsaPublicKey() ?? throw new InvalidDataException("the device's CSR is not for an ECDSA key");
        if (key.ExportParameters(false).Curve.Oid.Value != P256) throw new InvalidDataException("the device's CSR is not for a P-256 key");
        return request.PublicKey;
    }

    private static async Task<JsonObject> AskAsync(OperatorTarget target, string name, JsonObject request, CancellationToken token)
    {
        string reply = await DeviceCommand.SendAsync(target, name, request, token).ConfigureAwait(false)
            ?? throw new TimeoutException($"no answer to {name} from {target.Device} within {target.Timeout.TotalSeconds:0} s");
        var node = JsonNode.Parse(reply)?.AsObject() ?? throw new InvalidDataException($"{name}: the answer is not a JSON object");
        if (node["ok"]?.GetValue<bool>() != true) throw new DeviceRefusedException($"{name}: {node["error"]?.GetValue<string>()}", reply);
        return node["result"]?.AsObject() ?? throw new InvalidDataException($"{name}: the answer has no result");
    }

    private static int Fail(string message, int code = ExitCodes.InvalidInput)
    {
        Console.Error.WriteLine("renew: " + message);
        return code;
    }

    private sealed class DeviceRefusedException(string message, string reply) : Exception(message)
    {
        public string Reply { get; } = reply;
    }
}

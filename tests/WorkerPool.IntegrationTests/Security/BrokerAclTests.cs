using System.Diagnostics;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Config;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Messaging;

namespace WorkerPool.IntegrationTests.Security;

/// <summary>
/// The shipped broker example (deploy-scripts/mosquitto) with certificates from deploy-scripts/make-certs.sh:
/// mutual TLS, certificate CN as user name, and an ACL that keeps each device in its own subtree.
/// </summary>
public sealed class BrokerAclTests : IDisposable
{
    private readonly TempDir _pki = new();
    private readonly MosquittoBroker _broker;
    private readonly ListLogger _log = new();

    public BrokerAclTests()
    {
        var make = Process.Start(new ProcessStartInfo(Repo.Path("deploy-scripts", "make-certs.sh"), [_pki.Path, "localhost", "fleet", "dev-a", "dev-b"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Assert.True(make.WaitForExit(60_000) && make.ExitCode == 0, make.StandardError.ReadToEnd());
        string example = File.ReadAllText(Repo.Path("deploy-scripts", "mosquitto", "mosquitto-tls.conf"));
        _broker = MosquittoBroker.FromConfig(port => example
            .Replace("listener 8883", $"listener {port} 127.0.0.1", StringComparison.Ordinal)
            .Replace("PKI_DIR", _pki.Path, StringComparison.Ordinal)
            .Replace("ACL_FILE", Repo.Path("deploy-scripts", "mosquitto", "acl"), StringComparison.Ordinal));
        _broker.Start();
    }

    private IMqttClient Client(string name, out MqttClientOptions options)
    {
        var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(_pki.File(name + ".crt"), _pki.File(name + ".key"))
                .Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);
        var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(_pki.File("ca.crt"));
        options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _broker.Port).WithClientId(name)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithTlsOptions(o => o.UseTls().WithTargetHost("localhost").WithClientCertificates([cert])
                .WithTrustChain([ca]))
            .Build();
        return new MqttClientFactory().CreateMqttClient();
    }

    [Fact]
    public async Task Acl_AnotherDevicesCertificateCannotPublishToThisDevicesDesiredConfig()
    {
        // The device itself connects through WorkerPool's own mutual-TLS path.
        var device = new MqttConnection(new MqttOptions
        {
            Port = _broker.Port, ClientId = "dev-a",
            Tls = new MqttTlsOptions { Enabled = true, CaFile = _pki.File("ca.crt"), ServerName = "localhost", CertFile = _pki.File("dev-a.crt"), KeyFile = _pki.File("dev-a.key") },
        }, "dev-a", "test", TimeProvider.System, _log);
        var desired = new List<string>();
        device.Subscribe("workerpool/dev-a/config/desired", m => { lock (desired) desired.Add(Encoding.UTF8.GetString(m.Payload)); return Task.CompletedTask; });
        using var stop = new CancellationTokenSource();
        var running = device.RunAsync(stop.Token);
        await device.WaitConnectedAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);

        using var intruder = Client("dev-b", out var intruderOptions);
        await intruder.ConnectAsync(intruderOptions);
        var refused = await intruder.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("workerpool/dev-a/config/desired")
            .WithPayload("{\"version\": 99, \"config\": {}}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var own = await intruder.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("workerpool/dev-b/heartbeat")
            .WithPayload("{}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        using var fleet = Client("fleet", out var fleetOptions);
        await fleet.ConnectAsync(fleetOptions);
        var allowed = await fleet.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("workerpool/dev-a/config/desired")
            .WithPayload("{\"version\": 1, \"config\": {}}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline) { lock (desired) if (desired.Count > 0) break; await Task.Delay(50); }
        await Task.Delay(300);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, refused.ReasonCode);
        Assert.True(own.IsSuccess);
        Assert.True(allowed.IsSuccess);
        lock (desired) Assert.Equal(["{\"version\": 1, \"config\": {}}"], desired); // only the fleet's message arrived

        await stop.CancelAsync();
        await running;
        await device.DisposeAsync();
    }

    [Fact]
    public async Task Broker_ClientWithoutCertificate_IsRefused()
    {
        var connection = new MqttConnection(new MqttOptions
        {
            Port = _broker.Port, ClientId = "dev-a", MaxBackoffSeconds = 2,
            Tls = new MqttTlsOptions { Enabled = true, CaFile = _pki.File("ca.crt"), ServerName = "localhost" },
        }, "dev-a", "test", TimeProvider.System, _log);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await connection.RunAsync(stop.Token);
        Assert.Equal(0, _log.Count(5000));
        Assert.True(_log.Count(5001) >= 1);
        await connection.DisposeAsync();
    }

    public void Dispose()
    {
        _broker.Dispose();
        _pki.Dispose();
    }
}

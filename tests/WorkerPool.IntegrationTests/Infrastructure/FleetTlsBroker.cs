using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>
/// A Mosquitto as a fleet runs it: a TLS listener that authenticates devices by the fleet CA (CN as user name),
/// optionally checking the CA's revocation list, beside a plain loopback listener for the test's own subscribers.
/// </summary>
public static class FleetTlsBroker
{
    public static MosquittoBroker Create(string fleetCa, TlsFiles server, int plainPort, string? crlFile = null) =>
        MosquittoBroker.FromConfig(tlsPort => $"""
            per_listener_settings true
            listener {plainPort} 127.0.0.1
            allow_anonymous true
            listener {tlsPort} 127.0.0.1
            cafile {fleetCa}
            certfile {server.ServerCert}
            keyfile {server.ServerKey}
            require_certificate true
            use_identity_as_username true
            allow_anonymous false
            {(crlFile is null ? "" : "crlfile " + crlFile)}
            log_type all
            """);

    /// <summary>One CONNECT over TLS with a client certificate: null when the broker took it, else why not.</summary>
    public static async Task<string?> TryConnectAsync(int port, string serverCa, string serverName, string certFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        using var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(serverCa);
        using var mqtt = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("try-" + Guid.NewGuid().ToString("N")[..8])
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(t => t.UseTls().WithTargetHost(serverName).WithClientCertificates([client])
                .WithCertificateValidationHandler(ctx =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var leaf = X509CertificateLoader.LoadCertificate(ctx.Certificate.GetRawCertData());
                    return chain.Build(leaf);
                }))
            .Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            var result = await mqtt.ConnectAsync(options, timeout.Token);
            if (result.ResultCode != MqttClientConnectResultCode.Success) return result.ResultCode.ToString();
            await mqtt.DisconnectAsync();
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex.GetType().Name + ": " + ex.Message;
        }
    }
}

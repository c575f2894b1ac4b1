using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;

namespace WorkerPool.Fleet.Broker;

/// <summary>Where the fleet side's MQTT connections go, and the TLS files they use: one definition for every verb.</summary>
internal sealed record BrokerEndpoint(string Host, int Port, FileInfo? Ca, FileInfo? Cert, FileInfo? CertKey, string? ServerName)
{
    /// <summary>Parses <c>HOST:PORT</c> (the port defaults to 1883); throws <see cref="FormatException"/> with the reason.</summary>
    public static (string Host, int Port) Parse(string broker)
    {
        if (broker.Contains("://", StringComparison.Ordinal)) throw new FormatException($"--broker takes HOST:PORT, not a URL: {broker}");
        int colon = broker.LastIndexOf(':');
        if (colon < 0) return (broker, 1883);
        if (!int.TryParse(broker.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new FormatException($"--broker port is not a number from 1 to 65535: {broker}");
        return (broker[..colon], port);
    }

    /// <summary>MQTT 5 client options for this endpoint, with TLS when a CA or a client certificate is given.</summary>
    public MqttClientOptionsBuilder Options(string clientId)
    {
        var builder = new MqttClientOptionsBuilder().WithTcpServer(Host, Port).WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(10));
        if (Ca is null && Cert is null) return builder;
        return builder.WithTlsOptions(o =>
        {
            o.UseTls().WithTargetHost(ServerName ?? Host);
            if (Ca is not null) o.WithTrustChain([X509CertificateLoader.LoadCertificateFromFile(Ca.FullName)]);
            if (Cert is not null && CertKey is not null)
            {
                using var pem = X509Certificate2.CreateFromPemFile(Cert.FullName, CertKey.FullName);
                o.WithClientCertificates([X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)]);
            }
        });
    }
}

/// <summary>
/// The command-line options that make a <see cref="BrokerEndpoint"/>, added to each verb that talks MQTT. Verbs
/// whose <c>--ca</c> names the fleet CA's folder (<c>renew</c>, <c>decommission</c>) take the broker's CA as
/// <paramref name="caOption"/> <c>--broker-ca</c>.
/// </summary>
internal sealed class BrokerArguments(string caOption = "--ca")
{
    public Option<string> Broker { get; } = new("--broker") { Description = "Broker HOST:PORT", DefaultValueFactory = _ => "127.0.0.1:1883" };
    public Option<string> Prefix { get; } = new("--prefix") { Description = "Topic prefix", DefaultValueFactory = _ => "workerpool" };
    public Option<FileInfo?> Ca { get; } = new(caOption) { Description = "CA file for TLS to the broker" };
    public Option<FileInfo?> Cert { get; } = new("--cert") { Description = "Client certificate (PEM) for mutual TLS" };
    public Option<FileInfo?> CertKey { get; } = new("--cert-key") { Description = "Client certificate key (PEM)" };
    public Option<string?> ServerName { get; } = new("--server-name") { Description = "Name the broker certificate must carry" };

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Broker, Prefix, Ca, Cert, CertKey, ServerName }) command.Options.Add(o);
    }

    public BrokerEndpoint Endpoint(ParseResult r)
    {
        var (host, port) = BrokerEndpoint.Parse(r.GetValue(Broker)!);
        return new BrokerEndpoint(host, port, r.GetValue(Ca), r.GetValue(Cert), r.GetValue(CertKey), r.GetValue(ServerName));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Fleet.Operator;
using WorkerPool.Fleet.Provisioning;

namespace WorkerPool.Tests.Fleet;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
/// <summary><c>ca init</c> and <c>provision</c>: the fleet's CA and keys, and the per-device bundles it issues.</summary>
public sealed class ProvisioningTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _dir = Directory.CreateTempSubdirectory("provisioning-").FullName;

    private string CaDir => Path.Combine(_dir, "ca");

    private string Out => Path.Combine(_dir, "bundles");

    private static string Template
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WorkerPool.sln"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("WorkerPool.sln"), "device-config", "appliance.json");
        }
    }

    private void InitCa() => Assert.Equal(0, CaInitVerb.Run(new DirectoryInfo(CaDir), "Test Fleet CA", force: false));

    private int Provision(IReadOnlyList<string> ids, string? installDir = null, string? brokerCa = null) =>
        ProvisionVerb.Run(ids, new FileInfo(Template), new DirectoryInfo(CaDir), new DirectoryInfo(Out), brokerCa is null ? null : new FileInfo(brokerCa),
            null, null, installDir ?? "/etc/workerpool", force: false);

    private string Bundle(string id, string file) => Path.Combine(Out, id, file);

    [Fact]
    public void CaInit_WritesTheCaTheFleetPairAndTheReleasePair_PrivateKeysReadableByTheOwnerOnly()
    {
        InitCa();

        Assert.Equal([.. CaInitVerb.Files.Order(StringComparer.Ordinal)], Directory.GetFiles(CaDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var secret in new[] { "ca.key", "fleet-private.pem", "release-private.pem" })
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(CaDir, secret)));

        using var ca = X509Certificate2.CreateFromPemFile(Path.Combine(CaDir, "ca.crt"), Path.Combine(CaDir, "ca.key"));
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, ca.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Equal("ECC", ca.PublicKey.Oid.FriendlyName);
        Assert.InRange((ca.NotAfter - ca.NotBefore).TotalDays, 3650, 3653);

        // The fleet pair is what keygen writes: config and command signatures verify with the public half.
        using var fleet = PemKeys.LoadPrivate(new FileInfo(Path.Combine(CaDir, "fleet-private.pem")));
        string fleetPublicPem = File.ReadAllText(Path.Combine(CaDir, "fleet-public.pem"));
        using (WorkerPool.Contracts.FleetSignature.FromPublicKeyPem(fleetPublicPem)) { } // the device takes it as security.fleetPublicKey
        using var fleetPublic = ECDsa.Create();
        fleetPublic.ImportFromPem(fleetPublicPem);
        Assert.Equal(fleet.ExportSubjectPublicKeyInfo(), fleetPublic.ExportSubjectPublicKeyInfo());

        string releasePrivate = File.ReadAllText(Path.Combine(CaDir, "release-private.pem")), releasePublic = File.ReadAllText(Path.Combine(CaDir, "release-public.pem"));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", releasePrivate, StringComparison.Ordinal); // PKCS#8
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", releasePublic, StringComparison.Ordinal); // SubjectPublicKeyInfo
        using var signer = ECDsa.Create();
        signer.ImportFromPem(releasePrivate);
        using var verifier = ECDsa.Create();
        verifier.ImportFromPem(releasePublic);
        Assert.Equal(256, verifier.KeySize);
        byte[] data = "release"u8.ToArray();
        Assert.True(verifier.VerifyData(data, signer.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.NotEqual(fleetPublic.ExportSubjectPublicKeyInfo(), verifier.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void CaInit_IntoAFolderThatHoldsACa_IsRefusedAndKeepsIt_ForceReplacesIt()
    {
        InitCa();
        string before = File.ReadAllText(Path.Combine(CaDir, "ca.key"));

        Assert.Equal(2, CaInitVerb.Run(new DirectoryInfo(CaDir), "Other", force: false));
        Assert.Equal(before, File.ReadAllText(Path.Combine(CaDir, "ca.key")));

        Assert.Equal(0, CaInitVerb.Run(new DirectoryInfo(CaDir), "Other", force: true));
        Assert.NotEqual(before, File.ReadAllText(Path.Combine(CaDir, "ca.key")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(CaDir, "ca.key")));
    }

    [Fact]
    public void Provision_IssuesAClientCertificateFromTheFleetCa_WithTheDeviceIdAsCn_AndAConfigWithTheFleetKeyAndTls()
    {
        InitCa();
        Assert.Equal(0, Provision(["door-07"]));

        Assert.Equal([.. DeviceBundle.Files.Order(StringComparer.Ordinal)], Directory.GetFiles(Path.Combine(Out, "door-07")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Bundle("door-07", "device.key")));
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(CaDir, "ca.crt"));
        using var cert = X509Certificate2.CreateFromPemFile(Bundle("door-07", "device.crt"), Bundle("door-07", "device.key")); // throws when the key is not the certificate's
        Assert.True(cert.HasPrivateKey);
        Assert.Equal("door-07", cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains(cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
        Assert.False(cert.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.InRange((cert.NotAfter - DateTime.Now).TotalDays, 364, 366);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        Assert.True(chain.Build(cert), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(File.ReadAllText(Path.Combine(CaDir, "ca.crt")), File.ReadAllText(Bundle("door-07", "broker-ca.crt")));
        Assert.Equal(File.ReadAllText(Path.Combine(CaDir, "release-public.pem")), File.ReadAllText(Bundle("door-07", "release-public.pem")));

        var config = JsonNode.Parse(File.ReadAllText(Bundle("door-07", "config.json")))!;
        Assert.Equal("door-07", (string?)config["deviceId"]);
        Assert.Equal(File.ReadAllText(Path.Combine(CaDir, "fleet-public.pem")), (string?)config["security"]!["fleetPublicKey"]);
        var tls = config["mqtt"]!["tls"]!;
        Assert.True((bool)tls["enabled"]!);
        Assert.Equal("/etc/workerpool/broker-ca.crt", (string?)tls["caFile"]);
        Assert.Equal("/etc/workerpool/device.crt", (string?)tls["certFile"]);
        Assert.Equal("/etc/workerpool/device.key", (string?)tls["keyFile"]);
        Assert.True((bool)tls["certificateCnIsUsername"]!);
        Assert.Equal(8883, (int)config["mqtt"]!["port"]!); // the template's plain 1883 is no TLS port
        Assert.Equal("/dev/video0", (string?)config["cameras"]![0]!["url"]); // the rest is the template's
    }

    [Fact]
    public void Provision_ConfigWithTheFilesWhereTheyAreInstalled_PassesTheDevicesValidator()
    {
        InitCa();
        Assert.Equal(0, Provision(["door-07"], installDir: Path.Combine(Out, "door-07")));

        var config = ConfigLoader.Load(Bundle("door-07", "config.json"));
        Assert.Empty(DeviceConfigValidator.Validate(config, checkModel: false));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("slash/y")]
    [InlineData("")]
    [InlineData("CHANGE-ME")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234x")] // 65
    public void Provision_BadDeviceId_IsRefusedAndWritesNoBundle(string id)
    {
        InitCa();
        Assert.Equal(2, Provision(["good-1", id]));
        Assert.False(Directory.Exists(Out) && Directory.EnumerateFileSystemEntries(Out).Any());
    }

    [Fact]
    public void Provision_ThreeDevicesFromOneTemplate_GivesThreeDistinctCertificatesKeysAndConfigs()
    {
        InitCa();
        string[] ids = ["dev-a", "dev-b", "dev_c"];
        Assert.Equal(0, Provision(ids));

        Assert.Equal(3, ids.Select(id => File.ReadAllText(Bundle(id, "device.key"))).Distinct().Count());
        var certs = ids.Select(id => X509Certificate2.CreateFromPem(File.ReadAllText(Bundle(id, "device.crt")))).ToList();
        try
        {
            Assert.Equal(ids, certs.Select(c => c.GetNameInfo(X509NameType.SimpleName, false)));
            Assert.Equal(3, certs.Select(c => c.SerialNumber).Distinct().Count());
            Assert.All(certs, c => Assert.Equal("CN=Test Fleet CA", c.Issuer));
        }
        finally { certs.ForEach(c => c.Dispose()); }
        Assert.Equal(ids, ids.Select(id => (string?)JsonNode.Parse(File.ReadAllText(Bundle(id, "config.json")))!["deviceId"]));
    }

    [Fact]
    public void Provision_AgainForAnExistingBundle_IsRefused_AndAGivenBrokerCaIsShipped()
    {
        InitCa();
        string brokerCa = Path.Combine(_dir, "broker-ca.pem");
        using (var other = FleetCa.Create("Broker CA", DateTimeOffset.UtcNow)) File.WriteAllText(brokerCa, other.Certificate.ExportCertificatePem());
        Assert.Equal(0, Provision(["dev-a"], brokerCa: brokerCa));
        Assert.Equal(File.ReadAllText(brokerCa), File.ReadAllText(Bundle("dev-a", "broker-ca.crt")));
        string key = File.ReadAllText(Bundle("dev-a", "device.key"));

        Assert.Equal(2, Provision(["dev-a"]));
        Assert.Equal(key, File.ReadAllText(Bundle("dev-a", "device.key")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

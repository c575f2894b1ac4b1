using System.Numerics;
using System.Security.Cryptography.X509Certificates;
using WorkerPool.Fleet.Provisioning;

namespace WorkerPool.Tests.Fleet;

/// <summary><c>ca revoke</c>: the CA's record of what it issued, and the CRL it writes from it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RevocationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("revocation-").FullName;
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    private string CaDir => Path.Combine(_dir, "ca");

    private string Crl => Path.Combine(CaDir, "ca.crl");

    private X509Certificate2 Issue(string id)
    {
        using var ca = FleetCa.Load(CaDir);
        var (certificate, key) = ca.IssueDevice(id, _now);
        key.Dispose();
        return certificate;
    }

    public RevocationTests() => Assert.Equal(0, CaInitVerb.Run(new DirectoryInfo(CaDir), "Test Fleet CA", force: false));

    [Fact]
    public void Issue_RecordsEveryCertificateWithItsDeviceAndSerial()
    {
        using var first = Issue("door");
        using var renewed = Issue("door");
        using var other = Issue("hall");
        var issued = IssuedCertificates.All(CaDir);
        Assert.Equal(new[] { first.SerialNumber, renewed.SerialNumber }.Order(StringComparer.Ordinal),
            issued.Where(e => e.DeviceId == "door").Select(e => e.Serial).Order(StringComparer.Ordinal));
        Assert.Equal(other.SerialNumber, Assert.Single(issued, e => e.DeviceId == "hall").Serial);
    }

    [Fact]
    public void RevokeDevice_ListsEveryCertificateOfThatDeviceOnly_InACrlSignedByTheCa_WithAnIncreasingNumber()
    {
        using var first = Issue("door");
        using var renewed = Issue("door");
        using var other = Issue("hall");

        Assert.Equal(0, RevokeVerb.Run(new DirectoryInfo(CaDir), ["door"], [], _now));
        var builder = CertificateRevocationListBuilder.LoadPem(File.ReadAllText(Crl), out BigInteger number);
        Assert.Equal(1, number);
        Assert.True(builder.RemoveEntry(Convert.FromHexString(first.SerialNumber)));
        Assert.True(builder.RemoveEntry(Convert.FromHexString(renewed.SerialNumber)));
        Assert.False(builder.RemoveEntry(Convert.FromHexString(other.SerialNumber)));
        Assert.StartsWith("-----BEGIN X509 CRL-----", File.ReadAllText(Crl), StringComparison.Ordinal);

        // A second revocation keeps the first ones and moves the number on.
        string otherPem = Path.Combine(_dir, "hall.crt");
        File.WriteAllText(otherPem, other.ExportCertificatePem());
        Assert.Equal(0, RevokeVerb.Run(new DirectoryInfo(CaDir), [], [new FileInfo(otherPem)], _now));
        builder = CertificateRevocationListBuilder.LoadPem(File.ReadAllText(Crl), out number);
        Assert.Equal(2, number);
        foreach (var c in new[] { first, renewed, other }) Assert.True(builder.RemoveEntry(Convert.FromHexString(c.SerialNumber)));
    }

    [Fact]
    public void RevokeDevice_TheCaNeverIssuedTo_FailsAndWritesNothing()
    {
        Assert.Equal(2, RevokeVerb.Run(new DirectoryInfo(CaDir), ["nobody"], [], _now));
        Assert.False(File.Exists(Crl));
    }

    [Fact]
    public void RevokeCert_FromAnotherCa_IsRefused()
    {
        string otherCa = Path.Combine(_dir, "other");
        Assert.Equal(0, CaInitVerb.Run(new DirectoryInfo(otherCa), "Other CA", force: false));
        using var ca = FleetCa.Load(otherCa);
        var (foreign, key) = ca.IssueDevice("door", _now);
        key.Dispose();
        string pem = Path.Combine(_dir, "foreign.crt");
        File.WriteAllText(pem, foreign.ExportCertificatePem());
        foreign.Dispose();
        Assert.Equal(2, RevokeVerb.Run(new DirectoryInfo(CaDir), [], [new FileInfo(pem)], _now));
        Assert.False(File.Exists(Crl));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

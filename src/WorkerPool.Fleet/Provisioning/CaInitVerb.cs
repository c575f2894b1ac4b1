using System.CommandLine;

namespace WorkerPool.Fleet.Provisioning;

/// <summary>
/// <c>ca init</c>: makes a fleet's secrets in one folder: the CA (<c>ca.crt</c>, <c>ca.key</c>), the config and
/// command signing pair (<c>fleet-*.pem</c>, as <c>keygen</c> writes it) and the release signing pair (<c>release-*.pem</c>).
/// </summary>
internal static class CaInitVerb
{
    /// <summary>The files <c>ca init</c> writes.</summary>
    public static readonly string[] Files = ["ca.crt", "ca.key", "fleet-private.pem", "fleet-public.pem", "release-private.pem", "release-public.pem"];

    /// <summary>The <c>ca</c> verb with its <c>init</c> sub-verb.</summary>
    public static Command Build()
    {
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Folder for the CA and the fleet's signing keys (keep it offline)", Required = true };
        var name = new Option<string>("--name") { Description = "The CA certificate's common name", DefaultValueFactory = _ => "WorkerPool Fleet CA" };
        var force = new Option<bool>("--force") { Description = "Replace an existing CA and keys (every device must then be provisioned again)" };
        var init = new Command("init", "Make the fleet CA (10 years), the fleet signing key pair and the release signing key pair") { outDir, name, force };
        init.SetAction(r => Run(r.GetValue(outDir)!, r.GetValue(name)!, r.GetValue(force)));
        return new Command("ca", "The fleet's certificate authority") { init, RevokeVerb.Build() };
    }

    /// <summary>Writes the six files; refuses (exit 2) when one is there already and <paramref name="force"/> is not set.</summary>
    public static int Run(DirectoryInfo dir, string name, bool force)
    {
        var existing = Files.Where(f => File.Exists(Path.Combine(dir.FullName, f))).ToList();
        if (existing.Count > 0 && !force)
        {
            Console.Error.WriteLine($"ca init: {dir.FullName} already holds {string.Join(", ", existing)}: a new CA would cut off every device it issued; --force replaces them");
            return ExitCodes.InvalidInput;
        }
        dir.Create();
        using (var ca = FleetCa.Create(name, DateTimeOffset.UtcNow)) ca.Save(dir.FullName);
        KeyFiles.WritePair(dir.FullName, "fleet");
        KeyFiles.WritePair(dir.FullName, "release");
        Console.WriteLine($"fleet CA and keys in {dir.FullName}: ca.crt (valid {FleetCa.Lifetime.TotalDays:0} days) is for the broker's cafile; " +
            "ca.key, fleet-private.pem and release-private.pem stay offline");
        return ExitCodes.Ok;
    }
}

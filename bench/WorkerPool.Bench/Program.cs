using WorkerPool.Bench;

// On-demand benchmarks; see docs/BENCHMARKS.md for the recorded runs.
// Usage: dotnet run -c Release --project bench/WorkerPool.Bench -- pipeline|outbox|appliance|soak|fleet [--repeats N] [--seconds S]
//        [--minutes M] [--build checkout|published] [--devices N] [--steady-windows W] [--connections N] [--phases steady,burst,drain,connections] [--ingest-args "..."]
string which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)) ?? "pipeline";
int repeats = Math.Clamp(args.SkipWhile(a => a != "--repeats").Skip(1).Select(int.Parse).FirstOrDefault(3), 1, 10);
int seconds = Math.Clamp(args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(60), 10, 600);
int minutes = Math.Clamp(args.SkipWhile(a => a != "--minutes").Skip(1).Select(int.Parse).FirstOrDefault(30), 3, 240);
string build = args.SkipWhile(a => a != "--build").Skip(1).FirstOrDefault() ?? "published";
int devices = Math.Clamp(args.SkipWhile(a => a != "--devices").Skip(1).Select(int.Parse).FirstOrDefault(1000), 250, 5000);
int steadyWindows = Math.Clamp(args.SkipWhile(a => a != "--steady-windows").Skip(1).Select(int.Parse).FirstOrDefault(3), 1, 5);
int connections = Math.Clamp(args.SkipWhile(a => a != "--connections").Skip(1).Select(int.Parse).FirstOrDefault(10_000), 0, 20_000);
string phases = args.SkipWhile(a => a != "--phases").Skip(1).FirstOrDefault() ?? "all";
// fleet: extra ingest options, e.g. --ingest-args "--max-batch 1000 --receive-maximum 2000" (the broker's window follows).
WorkerPool.Bench.FleetRig.IngestArguments = (args.SkipWhile(a => a != "--ingest-args").Skip(1).FirstOrDefault() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
WorkerPool.Bench.FleetRig.InFlight = WorkerPool.Bench.FleetRig.IngestArguments.SkipWhile(a => a != "--receive-maximum").Skip(1).Select(int.Parse).FirstOrDefault(8000);
return which switch
{
    "pipeline" => await PipelineBench.RunAsync(repeats),
    "outbox" => await OutboxBench.RunAsync(repeats),
    "appliance" => await ApplianceBench.RunAsync(repeats, seconds),
    "soak" => await SoakBench.RunAsync(minutes, build),
    "fleet" => await FleetBench.RunAsync(repeats, devices, steadyWindows, connections, phases),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: WorkerPool.Bench pipeline|outbox|appliance|soak|fleet [--repeats N] [--seconds S] [--minutes M] [--build checkout|published]");
    Console.Error.WriteLine("       fleet: [--devices N] [--steady-windows W] [--connections N (0: skip)] [--phases steady,burst,drain,connections] [--ingest-args \"...\"]");
    return 2;
}

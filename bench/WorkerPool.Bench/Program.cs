using WorkerPool.Bench;

// On-demand benchmarks; see docs/BENCHMARKS.md for the recorded runs.
// Usage: dotnet run -c Release --project bench/WorkerPool.Bench -- pipeline|outbox|appliance|soak [--repeats N] [--seconds S]
//        [--minutes M] [--build checkout|published]
string which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)) ?? "pipeline";
int repeats = Math.Clamp(args.SkipWhile(a => a != "--repeats").Skip(1).Select(int.Parse).FirstOrDefault(3), 1, 10);
int seconds = Math.Clamp(args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(60), 10, 600);
int minutes = Math.Clamp(args.SkipWhile(a => a != "--minutes").Skip(1).Select(int.Parse).FirstOrDefault(30), 3, 240);
string build = args.SkipWhile(a => a != "--build").Skip(1).FirstOrDefault() ?? "published";
return which switch
{
    "pipeline" => await PipelineBench.RunAsync(repeats),
    "outbox" => await OutboxBench.RunAsync(repeats),
    "appliance" => await ApplianceBench.RunAsync(repeats, seconds),
    "soak" => await SoakBench.RunAsync(minutes, build),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: WorkerPool.Bench pipeline|outbox|appliance|soak [--repeats N] [--seconds S] [--minutes M] [--build checkout|published]");
    return 2;
}

using WorkerPool.Bench;

// On-demand benchmarks; see docs/BENCHMARKS.md for the recorded runs.
// Usage: dotnet run -c Release --project bench/WorkerPool.Bench -- [pipeline] [--repeats N]
int repeats = args.SkipWhile(a => a != "--repeats").Skip(1).Select(int.Parse).FirstOrDefault(3);
return await PipelineBench.RunAsync(Math.Clamp(repeats, 1, 10));

using System.CommandLine;
using WorkerPool.Fleet;

// SIGTERM and SIGINT cancel the running verb's token; System.CommandLine's default then ends the process with 143
// two seconds later. ingest and serve stop gracefully (the batch in hand committed and acknowledged, connections
// closed), which can take longer on a slow database: they get 30 s, systemd's default stop timeout being 90 s.
return await Cli.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) }).ConfigureAwait(false);

using WorkerPool.Fleet;

return await Cli.Build().Parse(args).InvokeAsync().ConfigureAwait(false);

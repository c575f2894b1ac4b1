using WorkerPool.Host;

return await Cli.Build().Parse(args).InvokeAsync().ConfigureAwait(false);

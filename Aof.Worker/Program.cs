using Aof.Core.Configuration;
using Aof.Core.Hosting;
using Aof.Runtime.Hosting;

// The worker host: consumes the queue and executes targets. Stateless; scale it on queue depth.
return await AofServiceHost.RunAsync("aof-worker", args,
    // standalone (the default) means "everything in one process"; this host is the worker part of it.
    acceptMode: mode => mode == AofModes.Gateway
        ? "mode 'gateway' is served by the gateway host (Aof.Gateway); this host runs 'worker'."
        : null,
    configure: (builder, _) =>
    {
        builder.Configuration[$"{AofOptions.Section}:{nameof(AofOptions.Mode)}"] = AofModes.Worker;
        builder.AddServiceDefaults();
        builder.Services.AddAofBackends(builder.Configuration);
        builder.Services.AddAofResources(builder.Configuration); // loads now: a bad resource tree stops the start
        builder.Services.AddAofRuntime();
        builder.Services.AddAofAgents(); // checks agents and fleets now: an unknown tool stops the start
    },
    map: app => app.MapDefaultEndpoints());

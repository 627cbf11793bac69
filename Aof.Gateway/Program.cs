using Aof.Core.Configuration;
using Aof.Core.Hosting;
using Aof.Gateway;
using Aof.Runtime.Hosting;

// The gateway host: webhook ingress and admin API; in standalone mode also the in-process worker.
return await AofServiceHost.RunAsync("aof-gateway", args,
    acceptMode: mode => mode == AofModes.Worker
        ? "mode 'worker' is served by the worker host (Aof.Worker); run that, or set the mode to 'gateway' or 'standalone'."
        : null,
    configure: (builder, mode) =>
    {
        builder.AddServiceDefaults();
        builder.Services.AddAofBackends(builder.Configuration);
        builder.Services.AddAofResources(builder.Configuration); // loads now: a bad resource tree stops the start
        builder.Services.AddAofGateway();
        if (mode == AofModes.Standalone) builder.Services.AddAofRuntime().AddAofAgents();
        GatewayHosting.ConfigureKestrel(builder);
    },
    map: app =>
    {
        app.MapDefaultEndpoints();
        app.MapAofGateway();
    });

public partial class Program;

using Aof.Core.Configuration;
using Aof.Core.Hosting;
using Aof.Core.Resources;
using Aof.Runtime.Hosting;


// The worker host: consumes the queue and executes targets. Stateless; scale it on queue depth.
var builder = WebApplication.CreateBuilder(args);
try
{
    AofConfiguration.Apply(builder.Configuration, args);
}
catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or InvalidOperationException)
{
    Console.Error.WriteLine($"aof-worker: {ex.Message}");
    return 2;
}

var mode = builder.Configuration[$"{AofOptions.Section}:Mode"] ?? AofModes.Standalone;
if (mode != AofModes.Worker && mode != AofModes.Standalone)
{
    Console.Error.WriteLine($"aof-worker: mode '{mode}' is served by Aof.Gateway; this host runs 'worker'.");
    return 2;
}
builder.Configuration[$"{AofOptions.Section}:Mode"] = AofModes.Worker;

builder.AddServiceDefaults();
builder.Services.AddAofBackends(builder.Configuration);
builder.Services.AddAofResources(builder.Configuration);
builder.Services.AddAofRuntime();

var app = builder.Build();
app.MapDefaultEndpoints();
try
{
    // Load resources now so a bad tree fails here with every error listed, not on the first message.
    _ = app.Services.GetRequiredService<ResourceCatalog>();
}
catch (ResourceLoadException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
await app.RunAsync();
return 0;

using Aof.Core.Configuration;
using Aof.Core.Hosting;
using Aof.Core.Resources;
using Aof.Gateway;
using Aof.Runtime.Hosting;

// The gateway host: webhook ingress and admin API; in standalone mode also the in-process worker.
try
{
    var builder = WebApplication.CreateBuilder(args);
    AofConfiguration.Apply(builder.Configuration, args);

    var mode = builder.Configuration[$"{AofOptions.Section}:{nameof(AofOptions.Mode)}"]?.Trim().ToLowerInvariant() ?? AofModes.Standalone;
    if (mode == AofModes.Worker)
        return Fail(1, "mode 'worker' is served by the worker host (Aof.Worker); run that, or set the mode to 'gateway' or 'standalone'.");
    if (!AofModes.IsValid(mode))
        return Fail(1, $"unknown mode '{mode}'; expected {AofModes.Standalone}, {AofModes.Gateway} or {AofModes.Worker}.");

    builder.AddServiceDefaults();
    try
    {
        builder.Services.AddAofBackends(builder.Configuration);
    }
    catch (InvalidOperationException ex)
    {
        // An unknown or incomplete queue setting: say what is wrong, not where in the code.
        return Fail(1, ex.Message);
    }
    builder.Services.AddAofResources(builder.Configuration); // loads now: a bad resource tree stops the start
    builder.Services.AddAofGateway();
    if (mode == AofModes.Standalone) builder.Services.AddAofRuntime();
    GatewayHosting.ConfigureKestrel(builder);

    var app = builder.Build();
    app.MapDefaultEndpoints();
    app.MapAofGateway();
    await app.RunAsync();
    return 0;
}
catch (ResourceLoadException ex)
{
    Console.Error.WriteLine($"aof-gateway: cannot start, {ex.Errors.Count} resource error(s):");
    foreach (var error in ex.Errors) Console.Error.WriteLine("  - " + error);
    return 2;
}
catch (ArgumentException ex) when (ex.ParamName == "args")
{
    // A bad --mode / --config on the command line.
    return Fail(2, ex.Message.Replace($" (Parameter '{ex.ParamName}')", ""));
}
catch (FileNotFoundException ex)
{
    // --config / AOF_CONFIG names a file that is not there.
    return Fail(2, ex.Message);
}

static int Fail(int code, string message)
{
    Console.Error.WriteLine("aof-gateway: " + message);
    return code;
}

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

using Aof.Core.Configuration;
using Aof.Core.Resources;
using Microsoft.AspNetCore.Builder;

namespace Aof.Runtime.Hosting;

/// <summary>
/// Start-up shared by the gateway and worker hosts: the DaemonConfig and <c>--config</c>/<c>--mode</c>
/// onto configuration, the mode check, and start-up errors reported as one clear message and an exit code
/// (2: bad resources or arguments, 1: a mode or setting this host cannot run) instead of a stack trace.
/// </summary>
public static class AofServiceHost
{
    /// <param name="name">Prefix of error messages (aof-gateway, aof-worker).</param>
    /// <param name="args">The command line.</param>
    /// <param name="acceptMode">Null when this host runs the mode, else why not.</param>
    /// <param name="configure">Registers the host's services for the (lower-case) mode.</param>
    /// <param name="map">Maps the host's endpoints.</param>
    public static async Task<int> RunAsync(string name, string[] args, Func<string, string?> acceptMode,
        Action<WebApplicationBuilder, string> configure, Action<WebApplication> map)
    {
        try
        {
            var builder = WebApplication.CreateBuilder(args);
            AofConfiguration.Apply(builder.Configuration, args);

            var mode = builder.Configuration[$"{AofOptions.Section}:{nameof(AofOptions.Mode)}"]?.Trim().ToLowerInvariant()
                       ?? AofModes.Standalone;
            if (!AofModes.IsValid(mode))
                return Fail(name, 1, $"unknown mode '{mode}'; expected {AofModes.Standalone}, {AofModes.Gateway} or {AofModes.Worker}.");
            if (acceptMode(mode) is { } refusal) return Fail(name, 1, refusal);

            try
            {
                configure(builder, mode);
            }
            catch (InvalidOperationException ex)
            {
                // An unknown or incomplete setting (queue type, broker address): say what is wrong, not where.
                return Fail(name, 1, ex.Message);
            }

            var app = builder.Build();
            map(app);
            await app.RunAsync();
            return 0;
        }
        catch (ResourceLoadException ex)
        {
            Console.Error.WriteLine($"{name}: cannot start, {ex.Errors.Count} resource error(s):");
            foreach (var error in ex.Errors) Console.Error.WriteLine("  - " + error);
            return 2;
        }
        catch (StartupConfigurationException ex)
        {
            // Thrown by a hosted service's start (the gateway's platform secrets check).
            return Fail(name, 1, ex.Message);
        }
        catch (ArgumentException ex) when (ex.ParamName == "args")
        {
            // A bad --mode / --config on the command line.
            return Fail(name, 2, ex.Message.Replace($" (Parameter '{ex.ParamName}')", ""));
        }
        catch (FileNotFoundException ex)
        {
            // --config / AOF_CONFIG names a file that is not there.
            return Fail(name, 2, ex.Message);
        }
    }

    private static int Fail(string name, int code, string message)
    {
        Console.Error.WriteLine($"{name}: {message}");
        return code;
    }
}

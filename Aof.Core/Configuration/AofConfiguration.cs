using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Aof.Core.Configuration;

/// <summary>
/// Wires the daemon's configuration: <c>--config &lt;file&gt;</c> (else env <c>AOF_CONFIG</c>) adds the DaemonConfig
/// YAML just before the environment-variable sources, so <c>Aof__Queue__MaxRetries</c> overrides the YAML;
/// <c>--mode &lt;standalone|gateway|worker&gt;</c> is added last and wins over everything.
/// </summary>
public static class AofConfiguration
{
    public const string ConfigEnvironmentVariable = "AOF_CONFIG";

    public static void Apply(ConfigurationManager configuration, string[] args) =>
        Apply(configuration, args, Environment.GetEnvironmentVariable);

    /// <param name="env">Environment lookup for <c>AOF_CONFIG</c> and the YAML's <c>${VAR}</c> expansion.</param>
    public static void Apply(IConfigurationBuilder configuration, string[] args, Func<string, string?> env)
    {
        var options = AofCommandLine.Parse(args);
        var configPath = options.ConfigPath ?? NullIfEmpty(env(ConfigEnvironmentVariable));
        if (configPath is not null)
        {
            configuration.Sources.Insert(DaemonSourceIndex(configuration.Sources), new DaemonConfigSource(configPath, env));
        }

        if (options.Mode is not null)
        {
            configuration.AddInMemoryCollection([new($"{AofOptions.Section}:{nameof(AofOptions.Mode)}", options.Mode)]);
        }
    }

    /// <summary>
    /// Right after the last file source (appsettings*.json, user secrets), before the environment variables
    /// and the command line that follow it; at the end when there are none.
    /// </summary>
    internal static int DaemonSourceIndex(IList<IConfigurationSource> sources)
    {
        var lastFile = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is FileConfigurationSource)
            {
                lastFile = i;
            }
        }

        for (var i = lastFile + 1; i < sources.Count; i++)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource or CommandLineConfigurationSource)
            {
                return i;
            }
        }

        return sources.Count;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>The daemon's own command-line switches; other arguments are left to the host.</summary>
public sealed record AofCommandLine(string? ConfigPath, string? Mode)
{
    public static AofCommandLine Parse(string[] args)
    {
        string? config = null, mode = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (TryRead(args, ref i, "--config") is { } c)
            {
                config = c;
            }
            else if (TryRead(args, ref i, "--mode") is { } m)
            {
                mode = m.Trim().ToLowerInvariant();
                if (!AofModes.IsValid(mode))
                {
                    throw new ArgumentException(
                        $"--mode must be {AofModes.Standalone}, {AofModes.Gateway} or {AofModes.Worker}, not '{m}'", nameof(args));
                }
            }
        }

        return new AofCommandLine(config, mode);
    }

    // "--name value" or "--name=value"; a switch without a value is an error.
    private static string? TryRead(string[] args, ref int i, string name)
    {
        var arg = args[i];
        if (arg.StartsWith(name + "=", StringComparison.Ordinal))
        {
            return Required(arg[(name.Length + 1)..], name);
        }

        if (arg != name)
        {
            return null;
        }

        if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{name} needs a value", "args");
        }

        return Required(args[++i], name);
    }

    private static string Required(string value, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{name} needs a value", "args") : value;
}

using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace Aof.Runtime.Agents.Tools;

/// <summary>
/// The <c>shell</c> tool: runs one allow-listed command. The command line is split into arguments without any
/// shell interpretation, so "ls; rm -rf /" is the command "ls;" with arguments, refused unless allowed.
/// </summary>
internal static class ShellTool
{
    public static AIFunction Create(ToolSpec spec, Func<string, string> redact)
    {
        var allowed = spec.AllowedCommands.ToHashSet(StringComparer.Ordinal);
        return AIFunctionFactory.Create(
            async ([Description("The command line to run, e.g. \"ls -la src\". No pipes, redirections or variables.")] string command, CancellationToken ct) =>
            {
                IReadOnlyList<string> argv;
                try { argv = ArgumentSplitter.Split(command ?? ""); }
                catch (ArgumentException ex) { return $"refused: {ex.Message}"; }
                if (argv.Count == 0) return "refused: empty command";
                var executable = argv[0];
                if (!allowed.Contains(executable)) // exact match: "/tmp/x/ls" is not "ls"
                    return $"refused: command '{executable}' is not allowed (allowed: {string.Join(", ", allowed.Order())})";
                var output = await CommandRunner.RunAsync(executable, argv.Skip(1).ToList(), spec.WorkingDirectory, spec.Timeout, spec.MaxOutputBytes, ct);
                return redact(output);
            },
            BuiltinTools.Shell,
            $"Run a command. Allowed commands: {string.Join(", ", allowed.Order())}. Output is capped at {spec.MaxOutputBytes} bytes.");
    }
}

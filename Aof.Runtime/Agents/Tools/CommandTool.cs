using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace Aof.Runtime.Agents.Tools;

/// <summary>
/// kubectl-style tools (kubectl, helm, git, docker, terraform): one fixed executable whose first argument, the
/// sub-command, must be allow-listed (read-only verbs by default). Run like <see cref="ShellTool"/>: no shell.
/// </summary>
internal static class CommandTool
{
    public static AIFunction Create(ToolSpec spec, Func<string, string> redact)
    {
        var allowed = spec.AllowedCommands.ToHashSet(StringComparer.Ordinal);
        var executable = spec.Executable ?? spec.Name;
        return AIFunctionFactory.Create(
            async ([Description("The arguments, starting with the sub-command (flags after it), e.g. \"get pods -n default\".")] string args, CancellationToken ct) =>
            {
                IReadOnlyList<string> argv;
                try { argv = ArgumentSplitter.Split(args ?? ""); }
                catch (ArgumentException ex) { return $"refused: {ex.Message}"; }
                // The sub-command comes first ("get pods -n x"): a flag's value could otherwise pass for a verb.
                var verb = argv.Count > 0 ? argv[0] : null;
                if (verb is null || !allowed.Contains(verb))
                    return $"refused: '{spec.Name} {verb}' is not allowed (allowed sub-commands: {string.Join(", ", allowed.Order())})";
                return redact(await CommandRunner.RunAsync(executable, argv, spec.WorkingDirectory, spec.Timeout, spec.MaxOutputBytes, ct));
            },
            spec.Name,
            $"Run {spec.Name}. Allowed sub-commands: {string.Join(", ", allowed.Order())}. Output is capped at {spec.MaxOutputBytes} bytes.");
    }
}

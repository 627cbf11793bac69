namespace Aof.Runtime.Agents.Tools;

/// <summary>The tools an agent may list by name, and the safe defaults of each.</summary>
public static class BuiltinTools
{
    public const string Shell = "shell";
    public const string Http = "http";

    // Command tools run one fixed executable; the allow-list is of its sub-commands. Defaults are read-only verbs.
    private static readonly Dictionary<string, string[]> CommandDefaults = new(StringComparer.Ordinal)
    {
        ["kubectl"] = ["get", "describe", "logs", "top", "explain", "api-resources", "version", "events"],
        ["helm"] = ["list", "status", "get", "history", "version"],
        ["git"] = ["status", "log", "diff", "show", "branch"],
        ["docker"] = ["ps", "logs", "inspect", "images", "version"],
        ["terraform"] = ["plan", "show", "validate", "version"],
    };

    // A shell tool without an allow-list may run these harmless commands only.
    private static readonly string[] ShellDefaults = ["echo", "ls", "cat", "head", "tail", "wc", "grep", "pwd", "date", "uname", "whoami"];

    public static IEnumerable<string> Names => new[] { Shell, Http }.Concat(CommandDefaults.Keys);

    public static ToolKind? KindOf(string name) => name switch
    {
        Shell => ToolKind.Shell,
        Http => ToolKind.Http,
        _ when CommandDefaults.ContainsKey(name) => ToolKind.Command,
        _ => null,
    };

    public static IReadOnlyList<string> DefaultAllowed(string name) =>
        name == Shell ? ShellDefaults : CommandDefaults.TryGetValue(name, out var d) ? d : [];
}

using System.Text.Json.Nodes;

namespace Aof.Runtime.Agents;

/// <summary>The providers an agent's <c>spec.model</c> (<c>provider:model</c>) may name.</summary>
public static class ModelProviders
{
    public const string OpenAI = "openai";
    public const string Anthropic = "anthropic";
    public const string Ollama = "ollama";
    public const string Google = "google";

    /// <summary>Canonical provider for a name as written (AOF also accepts "gemini" and "claude").</summary>
    public static string? Normalize(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "openai" or "azure" or "azure_openai" or "openai_compatible" => OpenAI,
        "anthropic" or "claude" => Anthropic,
        "ollama" => Ollama,
        "google" or "gemini" => Google,
        _ => null,
    };
}

/// <summary>What to do when the final answer does not match <c>output_schema</c>.</summary>
public enum SchemaFailureMode
{
    Fail,
    Retry,
}

/// <summary>An agent ready to run: its spec read and checked once, at load time.</summary>
public sealed class AgentDefinition
{
    public required string Name { get; init; }
    public required string Provider { get; init; }
    public required string Model { get; init; }
    public string? Instructions { get; init; }
    public IReadOnlyList<ToolSpec> Tools { get; init; } = [];
    public IReadOnlyList<McpServerSpec> McpServers { get; init; } = [];
    public int MaxIterations { get; init; } = 10;
    public float? Temperature { get; init; }
    public int? MaxTokens { get; init; }
    public JsonObject? OutputSchema { get; init; }
    public SchemaFailureMode OnSchemaFailure { get; init; } = SchemaFailureMode.Fail;

    /// <summary>How many extra model answers are asked for when <see cref="OnSchemaFailure"/> is retry.</summary>
    public int SchemaRetries { get; init; } = 2;
}

public enum ToolKind
{
    Shell,
    Http,
    Command,
    Mcp,
}

/// <summary>One entry of <c>spec.tools</c>, with its settings (inline or under <c>config</c>).</summary>
public sealed class ToolSpec
{
    public required string Name { get; init; }
    public required ToolKind Kind { get; init; }

    /// <summary>Shell: executables allowed; command tools (kubectl...): sub-commands allowed.</summary>
    public IReadOnlyList<string> AllowedCommands { get; init; } = [];
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
    public IReadOnlyList<string> AllowedMethods { get; init; } = ["GET", "HEAD"];
    public string? WorkingDirectory { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxOutputBytes { get; init; } = 16 * 1024;

    /// <summary>Command tools: the executable run (defaults to the tool's name).</summary>
    public string? Executable { get; init; }

    /// <summary>MCP tools: the <c>mcp_servers</c> entry serving them.</summary>
    public string? McpServer { get; init; }
}

/// <summary>One entry of <c>spec.mcp_servers</c>.</summary>
public sealed class McpServerSpec
{
    public required string Name { get; init; }

    /// <summary>"stdio" or "http".</summary>
    public required string Transport { get; init; }
    public string? Command { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public Uri? Url { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}

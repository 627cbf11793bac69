using System.Text.Json.Nodes;
using Aof.Runtime.Agents.Tools;

namespace Aof.Runtime.Agents;

/// <summary>
/// Turns an Agent spec (a resource's, or one written inline in a fleet) into an <see cref="AgentDefinition"/>,
/// reporting every problem through the <see cref="SpecReader"/>: unknown provider, unknown tool, a tool naming an
/// MCP server the agent does not define. Runs at load time, so a bad agent never reaches a worker's queue.
/// </summary>
internal static class AgentDefinitionReader
{
    public static AgentDefinition? Read(string name, JsonObject spec, SpecReader r, string path = "spec")
    {
        var before = r.ErrorCount;
        var (provider, model) = ReadModel(spec, r, path);
        var mcpServers = ReadMcpServers(spec, r, path);
        var tools = ReadTools(spec, r, path, mcpServers);
        var schema = spec["output_schema"];
        if (schema is not null and not JsonObject)
            r.Error($"{path}.output_schema", "must be a JSON schema mapping");

        var onFailure = SchemaFailureMode.Fail;
        var onFailureText = r.String(spec, "on_schema_failure") ?? r.String(spec, "output_schema_on_failure");
        if (onFailureText is not null)
        {
            if (onFailureText.Equals("retry", StringComparison.OrdinalIgnoreCase)) onFailure = SchemaFailureMode.Retry;
            else if (!onFailureText.Equals("fail", StringComparison.OrdinalIgnoreCase))
                r.Error($"{path}.on_schema_failure", $"must be 'retry' or 'fail', got '{onFailureText}'");
        }

        var maxIterations = r.Int(spec, "max_iterations", path, min: 1) ?? 10;
        var temperature = r.Number(spec, "temperature", path);
        var maxTokens = r.Int(spec, "max_tokens", path, min: 1);
        var schemaRetries = r.Int(spec, "output_schema_retries", path) ?? 2;

        if (r.ErrorCount > before || provider is null || model is null) return null;
        return new AgentDefinition
        {
            Name = name,
            Provider = provider,
            Model = model,
            Instructions = r.String(spec, "instructions") ?? r.String(spec, "system_prompt"),
            Tools = tools,
            McpServers = mcpServers,
            MaxIterations = maxIterations,
            Temperature = temperature is { } t ? (float)t : null,
            MaxTokens = maxTokens,
            OutputSchema = schema as JsonObject,
            OnSchemaFailure = onFailure,
            SchemaRetries = schemaRetries,
        };
    }

    private static (string? Provider, string? Model) ReadModel(JsonObject spec, SpecReader r, string path)
    {
        var text = r.String(spec, "model");
        if (string.IsNullOrWhiteSpace(text))
        {
            r.Error($"{path}.model", "required (written provider:model, e.g. openai:gpt-4o)");
            return (null, null);
        }

        var colon = text.IndexOf(':');
        var providerText = colon > 0 ? text[..colon] : r.String(spec, "provider") ?? ModelProviders.OpenAI;
        var model = colon > 0 ? text[(colon + 1)..] : text;
        var provider = ModelProviders.Normalize(providerText);
        if (provider is null)
        {
            r.Error($"{path}.model", $"unknown provider '{providerText}' (supported: openai, anthropic, ollama, google)");
            return (null, null);
        }
        if (model.Trim().Length == 0)
        {
            r.Error($"{path}.model", $"'{text}' names no model after the provider");
            return (null, null);
        }
        return (provider, model.Trim());
    }

    private static List<McpServerSpec> ReadMcpServers(JsonObject spec, SpecReader r, string path)
    {
        var servers = new List<McpServerSpec>();
        if (spec["mcp_servers"] is not JsonArray array) return servers;
        for (var i = 0; i < array.Count; i++)
        {
            var field = $"{path}.mcp_servers[{i}]";
            if (array[i] is not JsonObject o || r.String(o, "name") is not { Length: > 0 } name)
            {
                r.Error(field, "must be a mapping with a name");
                continue;
            }
            var url = r.String(o, "url") ?? r.String(o, "endpoint");
            var transport = (r.String(o, "transport") ?? r.String(o, "type") ?? (url is null ? "stdio" : "http")).ToLowerInvariant();
            if (transport is "sse" or "streamable_http" or "streamable-http") transport = "http";
            Uri? uri = null;
            if (transport == "stdio" && string.IsNullOrWhiteSpace(r.String(o, "command")))
                r.Error($"{field}.command", $"MCP server '{name}' uses stdio and needs a command");
            else if (transport == "http" && !Uri.TryCreate(url, UriKind.Absolute, out uri))
                r.Error($"{field}.url", $"MCP server '{name}' uses http and needs an absolute url");
            else if (transport is not ("stdio" or "http"))
                r.Error($"{field}.transport", $"MCP server '{name}': unknown transport '{transport}' (stdio or http)");

            servers.Add(new McpServerSpec
            {
                Name = name,
                Transport = transport,
                Command = r.String(o, "command"),
                Args = r.Strings(o, "args"),
                Env = r.Map(o, "env"),
                Url = uri,
                Headers = r.Map(o, "headers"),
                Timeout = TimeSpan.FromSeconds(r.Int(o, "timeout_seconds", field, min: 1) ?? 30),
            });
        }
        return servers;
    }

    private static List<ToolSpec> ReadTools(JsonObject spec, SpecReader r, string path, List<McpServerSpec> servers)
    {
        var tools = new List<ToolSpec>();
        if (spec["tools"] is not JsonArray array) return tools;
        var serverNames = servers.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            var field = $"{path}.tools[{i}]";
            var entry = array[i] as JsonObject;
            var name = entry is null ? SpecReader.Text(array[i]) : r.String(entry, "name");
            if (string.IsNullOrWhiteSpace(name))
            {
                r.Error(field, "must be a tool name or a mapping with a name");
                continue;
            }

            // Settings may sit inline or under "config", as AOF writes both.
            var config = entry?["config"] as JsonObject ?? entry ?? new JsonObject();
            var type = entry is null ? null : r.String(entry, "type")?.ToLowerInvariant();
            string? mcpServer = null;
            if (name.StartsWith("mcp:", StringComparison.Ordinal)) mcpServer = name[4..];
            else if (type == "mcp") mcpServer = entry is null ? name : r.String(entry, "server") ?? name;

            if (mcpServer is not null)
            {
                if (!serverNames.Contains(mcpServer))
                {
                    r.Error(field, $"tool '{name}' refers to MCP server '{mcpServer}', which is not defined in spec.mcp_servers");
                    continue;
                }
                tools.Add(new ToolSpec { Name = name, Kind = ToolKind.Mcp, McpServer = mcpServer });
                continue;
            }

            var kind = BuiltinTools.KindOf(name);
            if (kind is null)
            {
                r.Error(field, $"unknown tool '{name}' (built-in tools: {string.Join(", ", BuiltinTools.Names)}; MCP tools are written mcp:<server>)");
                continue;
            }

            var allowedCommands = r.Strings(config, "allowed_commands");
            if (allowedCommands.Count == 0) allowedCommands = r.Strings(config, "allowed");
            tools.Add(new ToolSpec
            {
                Name = name,
                Kind = kind.Value,
                AllowedCommands = allowedCommands.Count > 0 ? allowedCommands : BuiltinTools.DefaultAllowed(name),
                AllowedHosts = r.Strings(config, "allowed_hosts"),
                AllowedMethods = r.Strings(config, "allowed_methods") is { Count: > 0 } m ? m.Select(x => x.ToUpperInvariant()).ToList() : ["GET", "HEAD"],
                WorkingDirectory = r.String(config, "working_dir") ?? r.String(config, "working_directory"),
                Timeout = TimeSpan.FromSeconds(r.Int(config, "timeout_seconds", field, min: 1) ?? r.Int(config, "timeout_secs", field, min: 1) ?? 30),
                MaxOutputBytes = r.Int(config, "max_output_bytes", field, min: 64) ?? 16 * 1024,
                Executable = r.String(config, "executable") ?? r.String(config, "binary"),
            });
        }

        // Duplicate names would give the model two functions of one name.
        foreach (var dup in tools.GroupBy(t => t.Name).Where(g => g.Count() > 1))
            r.Error($"{path}.tools", $"tool '{dup.Key}' is listed more than once");
        return tools;
    }
}

using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace Aof.Runtime.Agents.Tools;

/// <summary>Connects to an agent's MCP server (stdio or HTTP) through the ModelContextProtocol client and lists its tools.</summary>
internal static class McpToolSource
{
    public static async Task<(McpClient Client, IList<McpClientTool> Tools)> ConnectAsync(McpServerSpec server, ILoggerFactory loggers, CancellationToken ct)
    {
        IClientTransport transport = server.Transport == "stdio"
            ? new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = server.Name,
                Command = server.Command!,
                Arguments = [.. server.Args],
                EnvironmentVariables = server.Env.ToDictionary(kv => kv.Key, kv => (string?)kv.Value),
            }, loggers)
            : new HttpClientTransport(new HttpClientTransportOptions
            {
                Name = server.Name,
                Endpoint = server.Url!,
                AdditionalHeaders = server.Headers.ToDictionary(kv => kv.Key, kv => kv.Value),
                ConnectionTimeout = server.Timeout,
            }, loggers);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(server.Timeout);
        var client = await McpClient.CreateAsync(transport, null, loggers, limit.Token);
        try
        {
            var tools = await client.ListToolsAsync(cancellationToken: limit.Token);
            return (client, tools);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}

/// <summary>Caps and redacts what a tool returns before the model (and the record) sees it.</summary>
internal sealed class CappedFunction(AIFunction inner, int maxChars, Func<string, string> redact) : DelegatingAIFunction(inner)
{
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var result = await base.InvokeCoreAsync(arguments, cancellationToken);
        var text = result switch
        {
            null => "",
            string s => s,
            System.Text.Json.JsonElement e => e.ToString(),
            _ => System.Text.Json.JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions),
        };
        if (text.Length > maxChars) text = text[..maxChars] + $"\n[output truncated at {maxChars} characters]";
        return redact(text);
    }
}

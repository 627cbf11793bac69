using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;

namespace Aof.Runtime.Agents.Tools;

/// <summary>
/// The functions one agent run may call: exactly the tools its spec lists, nothing else, so a call to any other
/// name is refused by the function-invoking client. Holds the MCP connections of the run and closes them.
/// </summary>
public sealed class AgentToolset : IAsyncDisposable
{
    private readonly List<McpClient> _clients = [];

    private AgentToolset() { }

    public IReadOnlyList<AIFunction> Functions { get; private set; } = [];

    public static async Task<AgentToolset> CreateAsync(AgentDefinition agent, HttpClient http, Func<string, string> redact, ILoggerFactory loggers, CancellationToken ct)
    {
        var set = new AgentToolset();
        var functions = new List<AIFunction>();
        try
        {
            foreach (var tool in agent.Tools)
            {
                switch (tool.Kind)
                {
                    case ToolKind.Shell: functions.Add(ShellTool.Create(tool, redact)); break;
                    case ToolKind.Command: functions.Add(CommandTool.Create(tool, redact)); break;
                    case ToolKind.Http: functions.Add(HttpTool.Create(tool, http, redact)); break;
                    case ToolKind.Mcp:
                        var server = agent.McpServers.First(s => s.Name == tool.McpServer);
                        var (client, tools) = await McpToolSource.ConnectAsync(server, loggers, ct);
                        set._clients.Add(client);
                        functions.AddRange(tools.Select(t => new CappedFunction(t, tool.MaxOutputBytes, redact)));
                        break;
                }
            }
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
        set.Functions = functions;
        return set;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            try { await c.DisposeAsync(); }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException) { /* the server is gone already */ }
        }
        _clients.Clear();
    }
}

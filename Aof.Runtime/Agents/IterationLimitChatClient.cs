using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Aof.Runtime.Agents;

/// <summary>
/// Sits between the function-invoking client and the provider and counts model round trips: the one past
/// <c>max_iterations</c> is not sent, the run fails with <see cref="MaxIterationsExceededException"/>. Also notes every
/// tool the model asks for that the agent does not list (the function-invoking client refuses those calls).
/// </summary>
internal sealed partial class IterationLimitChatClient(IChatClient inner, AgentDefinition agent, IReadOnlySet<string> allowedTools, ILogger logger)
    : DelegatingChatClient(inner)
{
    private int _calls;

    public int Calls => _calls;
    public List<string> ToolCalls { get; } = [];
    public List<string> RefusedCalls { get; } = [];

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref _calls) > agent.MaxIterations)
            throw new MaxIterationsExceededException(agent.Name, agent.MaxIterations);

        var response = await base.GetResponseAsync(messages, options, cancellationToken);
        foreach (var call in response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>())
        {
            lock (ToolCalls) ToolCalls.Add(call.Name);
            if (!allowedTools.Contains(call.Name))
            {
                lock (RefusedCalls) RefusedCalls.Add(call.Name);
                LogRefused(agent.Name, call.Name);
            }
        }
        return response;
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref _calls) > agent.MaxIterations)
            throw new MaxIterationsExceededException(agent.Name, agent.MaxIterations);
        return base.GetStreamingResponseAsync(messages, options, cancellationToken);
    }

    [LoggerMessage(LogLevel.Warning, "Agent {Agent} asked for tool {Tool}, which it does not list; the call is refused")]
    private partial void LogRefused(string agent, string tool);
}

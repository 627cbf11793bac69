using System.Text.Json;
using Aof.Core.Telemetry;
using Aof.Runtime.Agents.Providers;
using Aof.Runtime.Agents.Tools;
using Aof.Runtime.Safety;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aof.Runtime.Agents;

/// <summary>What one agent run produced: the answer and the tools it called (refused ones included).</summary>
public sealed record AgentRunResult(string Agent, string Text, int ModelCalls, IReadOnlyList<string> ToolCalls, IReadOnlyList<string> RefusedToolCalls);

/// <summary>
/// Runs one agent on one input: its provider's <see cref="IChatClient"/> wrapped in function invocation with exactly
/// the agent's tools, the iteration limit, then the <c>output_schema</c> check (asking the model again when configured).
/// Used by the Agent and Fleet executors; a fleet's manager also gets extra tools (its delegates).
/// </summary>
public sealed class AgentRunner(ChatClientFactory clients, SecretRedactor redactor, HttpClient toolHttp, ILoggerFactory? loggers = null)
{
    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;

    public async Task<AgentRunResult> RunAsync(AgentDefinition agent, string input, CancellationToken ct, IReadOnlyList<AIFunction>? extraTools = null)
    {
        using var provider = clients.Create(agent);
        await using var toolset = await AgentToolset.CreateAsync(agent, toolHttp, redactor.Redact, _loggers, ct);
        var functions = toolset.Functions.Concat(extraTools ?? []).ToList();
        var allowed = functions.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);

        var logger = _loggers.CreateLogger<AgentRunner>();
        var limiter = new IterationLimitChatClient(provider, agent, allowed, logger);
        using var chat = new ChatClientBuilder(limiter)
            .UseFunctionInvocation(_loggers, f =>
            {
                // The limiter stops the loop; this only has to be higher so it never stops it first.
                f.MaximumIterationsPerRequest = agent.MaxIterations + 1;
                f.IncludeDetailedErrors = false;
                f.AllowConcurrentInvocation = false;
            })
            // Model calls and tool calls become child spans of the processing span (GenAI conventions, no message content).
            .UseOpenTelemetry(_loggers, AofTelemetry.SourceName)
            .Build();

        var options = new ChatOptions
        {
            Temperature = agent.Temperature,
            MaxOutputTokens = agent.MaxTokens,
            Tools = functions.Count > 0 ? [.. functions] : null,
        };
        if (agent.OutputSchema is { } schema)
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(schema), "output", "The required shape of the final answer");

        var messages = new List<ChatMessage>();
        if (!string.IsNullOrWhiteSpace(agent.Instructions)) messages.Add(new ChatMessage(ChatRole.System, agent.Instructions));
        messages.Add(new ChatMessage(ChatRole.User, input));

        var schemaTries = agent.OnSchemaFailure == SchemaFailureMode.Retry ? agent.SchemaRetries : 0;
        for (var attempt = 0; ; attempt++)
        {
            var response = await chat.GetResponseAsync(messages, options, ct);
            var text = response.Text ?? "";
            if (agent.OutputSchema is null || OutputSchemaValidator.Validate(text, agent.OutputSchema, out _) is not { } problem)
                return new AgentRunResult(agent.Name, OutputText(agent, text), limiter.Calls, [.. limiter.ToolCalls], [.. limiter.RefusedCalls]);

            if (attempt >= schemaTries) throw new OutputSchemaException(agent.Name, problem);
            messages.AddRange(response.Messages);
            messages.Add(new ChatMessage(ChatRole.User,
                $"Your answer does not match the required JSON schema: {problem}. Answer again with only JSON that matches this schema:\n{agent.OutputSchema.ToJsonString()}"));
        }
    }

    // A schema'd answer is stored as the bare JSON, without a markdown fence around it.
    private static string OutputText(AgentDefinition agent, string text) =>
        agent.OutputSchema is null ? text.Trim() : OutputSchemaValidator.StripFence(text);
}

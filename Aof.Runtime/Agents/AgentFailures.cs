namespace Aof.Runtime.Agents;

/// <summary>Dead-letter reasons of agent and fleet executions, next to the queue's own <c>DeadLetterReasons</c>.</summary>
public static class AgentDeadLetterReasons
{
    /// <summary>The provider refused the credentials (401/403), or none are configured.</summary>
    public const string ProviderAuth = "provider_auth_failed";
    public const string MaxIterations = "max_iterations_exceeded";
    public const string InvalidOutput = "invalid_output";
}

/// <summary>The model kept asking for tools past <c>max_iterations</c>.</summary>
public sealed class MaxIterationsExceededException(string agent, int max)
    : Exception($"agent '{agent}' exceeded max_iterations ({max}): the model kept calling tools without giving an answer")
{
    public string Agent { get; } = agent;
}

/// <summary>The final answer did not satisfy <c>output_schema</c> (after any configured retries).</summary>
public sealed class OutputSchemaException(string agent, string problem)
    : Exception($"agent '{agent}' answered output that does not match its output_schema: {problem}");

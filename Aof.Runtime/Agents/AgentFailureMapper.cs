using Aof.Runtime.Agents.Providers;
using Aof.Runtime.Execution;
using Aof.Runtime.Safety;

namespace Aof.Runtime.Agents;

/// <summary>
/// Turns what an agent or fleet run threw into what the worker loop understands: failures no retry can fix
/// (credentials, max_iterations, output_schema "fail") become <see cref="PermanentExecutionException"/> and are
/// dead-lettered at once with a clear reason; the rest stay retryable. Messages are redacted on the way out.
/// </summary>
public static class AgentFailureMapper
{
    public static Exception Map(Exception ex, SecretRedactor redactor)
    {
        foreach (var e in Chain(ex))
        {
            switch (e)
            {
                case PermanentExecutionException p:
                    return new PermanentExecutionException(p.Reason, redactor.Redact(p.Message), p);
                case ProviderAuthException:
                    return new PermanentExecutionException(AgentDeadLetterReasons.ProviderAuth, redactor.Redact(e.Message), e);
                case MaxIterationsExceededException:
                    return new PermanentExecutionException(AgentDeadLetterReasons.MaxIterations, e.Message, e);
                case OutputSchemaException:
                    return new PermanentExecutionException(AgentDeadLetterReasons.InvalidOutput, redactor.Redact(e.Message), e);
                case ProviderUnavailableException:
                    return new ExecutionFailedException(redactor.Redact(e.Message), e);
            }
        }
        return new ExecutionFailedException(redactor.Redact(ex.Message), ex);
    }

    /// <summary>The exception and everything it wraps (SDKs wrap transport errors; fleets aggregate member failures).</summary>
    private static IEnumerable<Exception> Chain(Exception ex)
    {
        var queue = new Queue<Exception>([ex]);
        var seen = 0;
        while (queue.Count > 0 && seen++ < 32)
        {
            var e = queue.Dequeue();
            yield return e;
            if (e is AggregateException agg) foreach (var i in agg.InnerExceptions) queue.Enqueue(i);
            else if (e.InnerException is { } inner) queue.Enqueue(inner);
        }
    }
}

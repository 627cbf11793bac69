namespace Aof.Runtime.Execution;

/// <summary>A retryable failure with a message meant for the execution record (script exit code, timeout...).</summary>
public sealed class ExecutionFailedException(string message, Exception? inner = null) : Exception(message, inner);

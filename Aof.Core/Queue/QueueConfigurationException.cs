namespace Aof.Core.Queue;

/// <summary>
/// The broker is reachable but set up in a way this backend cannot use (NATS without JetStream, an existing
/// stream with other settings than ours). Retrying does not help: an operator has to fix the broker or the
/// configuration, and the message says what to change.
/// </summary>
public sealed class QueueConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

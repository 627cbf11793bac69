namespace Aof.Runtime.Agents.Providers;

/// <summary>The provider refused the credentials (401 / 403) or none are configured: retrying cannot help.</summary>
public sealed class ProviderAuthException(string message) : Exception(message);

/// <summary>The provider kept answering 429 / 5xx (or was unreachable) through the in-step retries: the message is retried later.</summary>
public sealed class ProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

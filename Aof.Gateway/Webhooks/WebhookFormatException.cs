namespace Aof.Gateway.Webhooks;

/// <summary>The delivery's body or headers cannot be read. The gateway answers 400 with <see cref="Exception.Message"/>.</summary>
public sealed class WebhookFormatException(string message, Exception? inner = null) : Exception(message, inner);

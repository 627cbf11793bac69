namespace Aof.Runtime.Flows.Expressions;

/// <summary>A condition that cannot be parsed or evaluated. The flow executor turns it into a permanent failure naming the node.</summary>
public sealed class ExpressionException(string message) : Exception(message);

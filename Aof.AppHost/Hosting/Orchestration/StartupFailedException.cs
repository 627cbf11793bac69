namespace Aof.AppHost.Hosting.Orchestration;

/// <summary>A resource could not be started; the message says which and why, <see cref="Log"/> holds its last lines.</summary>
public sealed class StartupFailedException(string resource, string reason, IReadOnlyList<string> log)
    : Exception($"{resource} failed to start: {reason}")
{
    public string Resource { get; } = resource;

    public IReadOnlyList<string> Log { get; } = log;
}

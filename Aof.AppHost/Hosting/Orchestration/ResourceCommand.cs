namespace Aof.AppHost.Hosting.Orchestration;

/// <summary>What an operator can do to one replica from the dashboard.</summary>
public enum ResourceCommand
{
    Stop,
    Start,
    Restart,
}

/// <summary>A command that cannot run now (the app is starting or stopping); the message says why.</summary>
public sealed class CommandRefusedException(string message) : Exception(message);

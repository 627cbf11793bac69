using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;

namespace Aof.AppHost.Hosting.Testing;

/// <summary>
/// Lets a test run the AppHost's own Program (its real model) in-process, as Aspire.Hosting.Testing does: the
/// test sets <see cref="Current"/> on the thread that calls the entry point, may adjust the model before it is
/// built, and receives the built app to wait on, inspect and stop. The app then leaves signals and the process
/// exit code alone.
/// </summary>
public sealed class DistributedApplicationTestingHook(AppHostConsole console, Action<DistributedApplicationBuilder>? configure)
{
    private static readonly AsyncLocal<DistributedApplicationTestingHook?> CurrentHook = new();

    public static DistributedApplicationTestingHook? Current
    {
        get => CurrentHook.Value;
        set => CurrentHook.Value = value;
    }

    public AppHostConsole Console { get; } = console;

    public Action<DistributedApplicationBuilder>? Configure { get; } = configure;

    public TaskCompletionSource<DistributedApplication> Built { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

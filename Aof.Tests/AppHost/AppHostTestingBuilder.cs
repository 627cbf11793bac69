using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Hosting.Testing;

namespace Aof.Tests.AppHost;

/// <summary>
/// What Aspire.Hosting.Testing's DistributedApplicationTestingBuilder does, for our AppHost: runs the AppHost's own
/// Program (its real model: redis-server, gateway, workers) in this process, lets the test adjust the model before it
/// is built, waits until every resource is healthy, and hands out the running app and an HttpClient for the gateway.
/// </summary>
public static class AppHostTestingBuilder
{
    public static async Task<AppHostTestApp> StartAsync(string[] args, Action<DistributedApplicationBuilder>? configure,
        TimeSpan timeout)
    {
        var output = new LockedStringWriter();
        var hook = new DistributedApplicationTestingHook(new AppHostConsole(output), configure);
        var entryPoint = typeof(DistributedApplication).Assembly.EntryPoint
                         ?? throw new InvalidOperationException("Aof.AppHost has no entry point");
        var program = Task.Factory.StartNew(() =>
        {
            DistributedApplicationTestingHook.Current = hook;
            entryPoint.Invoke(null, [args]);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        using var cts = new CancellationTokenSource(timeout);
        if (await Task.WhenAny(hook.Built.Task, program).WaitAsync(cts.Token) == program)
        {
            await program; // throws what the Program threw
            throw new InvalidOperationException($"the AppHost ended before building its app:\n{output}");
        }
        var app = await hook.Built.Task;
        var testApp = new AppHostTestApp(app, program, output);
        try
        {
            await app.Started.WaitAsync(cts.Token);
        }
        catch (Exception ex)
        {
            await testApp.DisposeAsync();
            throw new InvalidOperationException($"the AppHost did not start: {ex.Message}\n{output}", ex);
        }
        return testApp;
    }
}

/// <summary>A running AppHost app: its replicas, the gateway, and its console output.</summary>
public sealed class AppHostTestApp(DistributedApplication app, Task program, LockedStringWriter output) : IAsyncDisposable
{
    public DistributedApplication App { get; } = app;

    public string Output
    {
        get => output.ToString();
    }

    public HttpClient CreateHttpClient(string resource = "gateway") => new() { BaseAddress = App.GetEndpoint(resource) };

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await program.WaitAsync(TimeSpan.FromSeconds(60));
    }
}

/// <summary>The AppHost writes from many threads while a test reads.</summary>
public sealed class LockedStringWriter : StringWriter
{
    private readonly Lock _lock = new();

    public override void WriteLine(string? value)
    {
        lock (_lock) base.WriteLine(value);
    }

    public override string ToString()
    {
        lock (_lock) return base.ToString();
    }
}

using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Hosting.Testing;
using Aof.Tests.AppHost;

namespace Aof.Tests.Deployment;

/// <summary>
/// Runs the AppHost's own Program in this process with <c>--publisher</c> (its real model), optionally adjusting the
/// model first, and returns the exit code and what it printed. Publishing starts nothing, so this is quick.
/// </summary>
public static class Publish
{
    public static async Task<PublishResult> RunAsync(string[] args, Action<DistributedApplicationBuilder>? configure = null)
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
        await program.WaitAsync(TimeSpan.FromSeconds(60));
        var app = await hook.Built.Task.WaitAsync(TimeSpan.FromSeconds(5));
        var code = await app.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        return new PublishResult(code, output.ToString());
    }

    /// <summary>The repository root (the folder with Aof.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aof.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Aof.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record PublishResult(int ExitCode, string Output);

/// <summary>A temporary folder removed at dispose; <paramref name="parent"/> defaults to the system temp folder.</summary>
public sealed class TempFolder(string? parent = null) : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(
        System.IO.Path.Combine(parent ?? System.IO.Path.GetTempPath(), "aof-deploy-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}

/// <summary>A resource kind no publisher knows: stands for something a user adds to the model.</summary>
public sealed class ExecutableResource(string name) : Resource(name)
{
    public override TimeSpan StartTimeout => TimeSpan.FromSeconds(1);

    public override TimeSpan StopTimeout => TimeSpan.FromSeconds(1);

    public override ProcessSpec Describe(RunContext context, int replica) => new("/bin/true", [], new Dictionary<string, string>(), "/");

    public override Task<bool> IsHealthyAsync(int replica, CancellationToken ct) => Task.FromResult(true);
}

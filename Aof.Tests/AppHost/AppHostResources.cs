using Aof.AppHost.Hosting.Builder;
using Aof.Tests.EndToEnd;

namespace Aof.Tests.AppHost;

/// <summary>
/// An examples folder for the AppHost: the end-to-end resources (<see cref="PipelineResources"/>, secret
/// <see cref="PipelineResources.Secret"/>, a <c>/slow</c> flow) next to a copy of the repository's examples/daemon.yaml,
/// plus a state folder for the brokers. Deleted on dispose.
/// </summary>
public sealed class AppHostResources : IDisposable
{
    private readonly PipelineResources _resources = new(slowSeconds: 2);

    public AppHostResources()
    {
        File.Copy(Path.Combine(AppHostOptions.ProjectDirectory, "..", "examples", "daemon.yaml"), Path.Combine(ExamplesDirectory, "daemon.yaml"));
        Directory.CreateDirectory(StateDirectory);
    }

    public string ExamplesDirectory => _resources.Directory;

    public string StateDirectory { get; } = Path.Combine(Path.GetTempPath(), "aof-apphost-state-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The AppHost's command line for tests: free ports (gateway and dashboard), own state, the test output's prebuilt service dlls.</summary>
    public string[] Args(params string[] extra) =>
    [
        "--examples", ExamplesDirectory, "--port", "0", "--state", StateDirectory, "--services-dir", AppContext.BaseDirectory,
        "--dashboard", "http://127.0.0.1:0", .. extra,
    ];

    public void Dispose()
    {
        _resources.Dispose();
        try { Directory.Delete(StateDirectory, recursive: true); } catch (IOException) { }
    }
}

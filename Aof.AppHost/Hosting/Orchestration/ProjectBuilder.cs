using System.Reflection;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Processes;

namespace Aof.AppHost.Hosting.Orchestration;

/// <summary>
/// Turns project resources into dlls to run: <c>dotnet build</c> once per project (in the AppHost's own
/// configuration, no build servers left behind), or, with <c>--services-dir</c>, the prebuilt dlls found there.
/// </summary>
public static class ProjectBuilder
{
    public static async Task<IReadOnlyDictionary<ProjectResource, string>> ResolveAsync(
        IReadOnlyList<ProjectResource> projects, string? servicesDirectory, string dotnet, AppHostConsole console, CancellationToken ct)
    {
        var dlls = new Dictionary<ProjectResource, string>();
        foreach (var project in projects)
        {
            if (servicesDirectory is not null)
            {
                var dll = Path.Combine(servicesDirectory, project.AssemblyName + ".dll");
                dlls[project] = File.Exists(dll) ? dll : throw new StartupFailedException(project.Name, $"{dll} does not exist", []);
                continue;
            }
            // Projects sharing a .csproj (none today) are built once.
            if (dlls.Keys.FirstOrDefault(p => p.ProjectPath == project.ProjectPath) is { } built)
            {
                dlls[project] = dlls[built];
                continue;
            }
            dlls[project] = await BuildAsync(project, dotnet, console, ct);
        }
        return dlls;
    }

    private static async Task<string> BuildAsync(ProjectResource project, string dotnet, AppHostConsole console, CancellationToken ct)
    {
        var configuration = typeof(ProjectBuilder).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        console.Log($"building {project.Name} ({Path.GetFileName(project.ProjectPath)}, {configuration})");
        var spec = new ProcessSpec(dotnet,
            ["build", project.ProjectPath, "-c", configuration, "--nologo", "-v", "q", "--disable-build-servers", "-t:Build", "-getProperty:TargetPath"],
            new Dictionary<string, string>(), Path.GetDirectoryName(project.ProjectPath)!);
        using var build = await ChildProcess.StartAsync("build", spec, console: null);
        int exit;
        try
        {
            exit = await build.Exited.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            build.Kill();
            throw;
        }
        var lines = build.Tail; // the build's output is shown only when it fails
        var dll = lines.Select(l => l.Trim()).LastOrDefault(l => l.EndsWith(".dll", StringComparison.Ordinal));
        if (exit != 0 || dll is null || !File.Exists(dll))
            throw new StartupFailedException(project.Name, $"dotnet build failed ({ChildProcess.DescribeExit(exit)})", lines);
        return dll;
    }

}

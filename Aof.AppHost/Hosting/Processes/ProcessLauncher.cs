using System.Collections.Concurrent;
using System.Diagnostics;
using Aof.AppHost.Hosting.ApplicationModel;

namespace Aof.AppHost.Hosting.Processes;

/// <summary>
/// Starts child processes so that none outlives the AppHost, also when the AppHost is killed with SIGKILL:
/// on Linux each child runs under <c>setpriv --pdeathsig TERM</c> (the kernel sends it SIGTERM when its parent
/// dies) and <c>setsid</c> (its own session, so a terminal's Ctrl+C reaches only the AppHost, which then stops
/// the children in order). Both exec in place, so the child's pid is the service's pid.
/// <para>
/// The kernel sends the death signal when the parent <em>thread</em> exits, not the process. Thread-pool threads
/// come and go, so every child is forked from one dedicated thread that lives as long as the process.
/// </para>
/// </summary>
public static class ProcessLauncher
{
    private const string SetPriv = "/usr/bin/setpriv";
    private const string SetSid = "/usr/bin/setsid";

    private static readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Started)> Requests = new();
    private static readonly Lazy<Thread> Launcher = new(() =>
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "aof-apphost-launcher" };
        thread.Start();
        return thread;
    });

    /// <summary>True when children are tied to the AppHost's life by the kernel (Linux with util-linux).</summary>
    public static bool TiesChildrenToParent { get; } = OperatingSystem.IsLinux() && File.Exists(SetPriv) && File.Exists(SetSid);

    public static Task<Process> StartAsync(ProcessSpec spec)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // children never read the AppHost's terminal
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory,
        };
        if (TiesChildrenToParent)
        {
            start.FileName = SetPriv;
            foreach (var arg in new[] { "--pdeathsig", "TERM", "--", SetSid, spec.FileName }) start.ArgumentList.Add(arg);
        }
        else
        {
            start.FileName = spec.FileName;
        }
        foreach (var arg in spec.Args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in spec.Environment) start.Environment[key] = value;

        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Launcher.Value;
        Requests.Add((start, started));
        return started.Task;
    }

    private static void Loop()
    {
        foreach (var (start, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}"));
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }
    }
}

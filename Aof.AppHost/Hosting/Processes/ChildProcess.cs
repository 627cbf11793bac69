using System.Diagnostics;
using Aof.AppHost.Hosting.ApplicationModel;

namespace Aof.AppHost.Hosting.Processes;

/// <summary>
/// One running child: its output goes to the console prefixed with its name, the last lines are kept for
/// error reports, and it can be stopped gracefully (SIGTERM, then SIGKILL of its group after a timeout).
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private const int TailLines = 30;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly AppHostConsole? _console;

    private ChildProcess(string name, Process process, AppHostConsole? console)
    {
        Name = name;
        _process = process;
        _console = console;
        Id = process.Id;
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Exited = WaitExitAsync();
    }

    public string Name { get; }

    public int Id { get; }

    /// <summary>Completes with the exit code (128 + signal when a signal ended it).</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    /// <summary>The last lines it printed, oldest first.</summary>
    public IReadOnlyList<string> Tail
    {
        get { lock (_tail) return [.. _tail]; }
    }

    /// <param name="console">Where its lines go, prefixed with <paramref name="name"/>; null: only kept in <see cref="Tail"/>.</param>
    public static async Task<ChildProcess> StartAsync(string name, ProcessSpec spec, AppHostConsole? console) =>
        new(name, await ProcessLauncher.StartAsync(spec), console);

    /// <summary>SIGTERM, wait up to <paramref name="timeout"/>, then SIGKILL to its whole process group.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (HasExited) return;
        UnixSignals.Send(Id, UnixSignals.SigTerm);
        if (await Task.WhenAny(Exited, Task.Delay(timeout)) == Exited) return;
        _console?.Log($"{Name} did not stop within {timeout.TotalSeconds:0} s; killing it");
        Kill();
        await Exited;
    }

    /// <summary>SIGKILL to the child and anything it started (it leads its own process group).</summary>
    public void Kill()
    {
        if (HasExited) return;
        if (!ProcessLauncher.TiesChildrenToParent || !UnixSignals.SendToGroup(Id, UnixSignals.SigKill))
            UnixSignals.Send(Id, UnixSignals.SigKill);
    }

    private async Task<int> WaitExitAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines) _tail.Dequeue();
        }
        _console?.Output(Name, line);
    }

    /// <summary>"exit code 1", "killed by SIGKILL (137)".</summary>
    public static string DescribeExit(int code) => code switch
    {
        128 + UnixSignals.SigKill => "killed by SIGKILL (exit code 137)",
        128 + UnixSignals.SigTerm => "ended by SIGTERM (exit code 143)",
        _ => $"exit code {code}",
    };

    public void Dispose() => _process.Dispose();
}

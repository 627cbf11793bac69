using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Aof.Tests.AppHost;

/// <summary>
/// The AppHost as a real process (<c>dotnet Aof.AppHost.dll</c> from the test output), for what only a process
/// shows: signals, its exit code, and what its children do when it goes. Knows the pids of the children it
/// reported ("worker-0 started (pid N)").
/// </summary>
public sealed partial class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppHostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Pids of every child it reported starting.</summary>
    public IReadOnlyList<int> ChildPids =>
        StartedLine().Matches(Output).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    public static AppHostProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    public static AppHostProcess Start(IDictionary<string, string> env, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Aof.AppHost.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in env) start.Environment[key] = value;
        return new AppHostProcess(Process.Start(start)!);
    }

    /// <summary>Waits for "ready." (every resource healthy).</summary>
    public async Task WaitReadyAsync(TimeSpan bound)
    {
        using var cts = new CancellationTokenSource(bound);
        try
        {
            await Task.WhenAny(_ready.Task, _process.WaitForExitAsync(cts.Token)).Unwrap().WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the AppHost was not ready within {bound}:\n{Output}");
        }
        if (!_ready.Task.IsCompleted) throw new InvalidOperationException($"the AppHost exited with {_process.ExitCode}:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        using var cts = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the AppHost did not exit within {bound}:\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>True when the pid is gone (or a zombie nobody reaps: it runs no code).</summary>
    public static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    public static async Task WaitGoneAsync(IReadOnlyList<int> pids, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (pids.Any(p => !IsGone(p)))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"still running after {bound}: {string.Join(", ", pids.Where(p => !IsGone(p)))}");
            await Task.Delay(100);
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.Contains("| ready.", StringComparison.Ordinal)) _ready.TrySetResult();
    }

    [GeneratedRegex(@"started \(pid (\d+)\)")]
    private static partial Regex StartedLine();

    public async ValueTask DisposeAsync()
    {
        foreach (var pid in ChildPids.Where(p => !IsGone(p)))
        {
            try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

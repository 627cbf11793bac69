using System.Diagnostics;
using System.Globalization;
using Aof.Core.Queue;

namespace Aof.Tests.Infrastructure;

/// <summary>
/// Runs Aof.Tests.QueueProbe, a separate consumer process that leases one message and holds it, so a test can kill
/// it with SIGKILL (<see cref="Process.Kill()"/> sends SIGKILL on Unix): the lease is then held by a consumer
/// that really died, with its connection torn down by the kernel, not by a cancelled task. Dispose kills it too.
/// </summary>
public sealed class QueueProbeProcess : IDisposable
{
    private static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(40);
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _leased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _errors = [];

    private QueueProbeProcess(Process process) => _process = process;

    public static QueueProbeProcess Start(string backend, string address, QueueOptions options)
    {
        var probe = Path.Combine(AppContext.BaseDirectory, "Aof.Tests.QueueProbe.dll");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     probe, backend, address, options.Prefix,
                     options.VisibilityTimeoutMs.ToString(CultureInfo.InvariantCulture),
                     options.DedupWindowSecs.ToString(CultureInfo.InvariantCulture),
                 })
        {
            psi.ArgumentList.Add(arg);
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the queue probe");
        var result = new QueueProbeProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("LEASED ", StringComparison.Ordinal)) result._leased.TrySetResult(line.Split(' ')[1]);
            else if (e.Data == "EMPTY") result._leased.TrySetException(new InvalidOperationException("the probe found no message"));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (result._errors) result._errors.Add(e.Data);
        };
        process.Exited += (_, _) => result._leased.TrySetException(
            new InvalidOperationException($"the probe exited early: {string.Join(" | ", result._errors.TakeLast(10))}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>The id of the message the probe leased.</summary>
    public Task<string> LeasedMessageIdAsync(CancellationToken ct) => _leased.Task.WaitAsync(LeaseTimeout, ct);

    /// <summary>SIGKILL, then wait until the process is gone.</summary>
    public async Task KillAsync(CancellationToken ct)
    {
        if (_process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync(ct);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}

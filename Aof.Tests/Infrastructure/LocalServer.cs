using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Aof.Tests.Infrastructure;

/// <summary>
/// A broker (redis-server, nats-server) run as a real process on a loopback port with its own temp
/// directory: start and wait until it answers, stop cleanly, crash it, and clean up on dispose. Subclasses
/// say how to start it, how to tell it is ready, and how to ask it to stop.
/// </summary>
public abstract class LocalServer : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly string _executable;
    private readonly Queue<string> _log = new();
    private Process? _process;

    protected LocalServer(string executable, int port, string directory)
    {
        _executable = executable;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    /// <summary>The server's data directory; survives StopAsync/StartAsync, deleted on dispose.</summary>
    protected string Directory { get; }

    public bool IsRunning => _process is { HasExited: false };

    private string Name => Path.GetFileName(_executable);

    protected static string NewTempDirectory(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    protected abstract Task<IReadOnlyList<string>> ArgumentsAsync(CancellationToken ct);

    /// <summary>True when the server answers (null-safe probe: false while it is not reachable).</summary>
    protected abstract Task<bool> IsReadyAsync(CancellationToken ct);

    /// <summary>Asks the running server to stop cleanly (flushing what it must).</summary>
    protected abstract Task RequestStopAsync(Process process, CancellationToken ct);

    /// <summary>(Re)starts the process on the same port and directory and waits until it is ready.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning) return;
        var psi = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var arg in await ArgumentsAsync(ct)) psi.ArgumentList.Add(arg);

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {_executable}");
        // Drain both pipes so the server never blocks on a full pipe; keep the tail for error messages.
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} on port {Port}: {Log}");
            if (await IsReadyAsync(timeout.Token)) return;
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Kill();
                throw new TimeoutException($"{Name} on port {Port} was not ready within {StartTimeout}: {Log}");
            }
        }
    }

    /// <summary>Clean stop. Kills it when it does not exit in time.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_process is not { } process || process.HasExited) return;
        await RequestStopAsync(process, ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>Crash: SIGKILL, no flush.</summary>
    public void Kill()
    {
        if (_process is not { } process) return;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Connects on a fresh socket, optionally sends a line, and returns what the server says first; null when unreachable.</summary>
    protected async Task<string?> TryExchangeAsync(string? line, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
            var stream = client.GetStream();
            if (line is not null) await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), attempt.Token);
            var buffer = new byte[512];
            var n = await stream.ReadAsync(buffer, attempt.Token);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
            return null;
        }
    }

    private string Log
    {
        get { lock (_log) return string.Join(" | ", _log); }
    }

    private void Remember(string? line)
    {
        if (string.IsNullOrEmpty(line)) return;
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 20) _log.Dequeue();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        LocalProcesses.DeleteDirectory(Directory);
        GC.SuppressFinalize(this);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

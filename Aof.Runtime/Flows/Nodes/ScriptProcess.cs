using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Aof.Runtime.Execution;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>What a finished script left behind.</summary>
internal sealed record ScriptOutcome(int ExitCode, byte[] Stdout, bool StdoutTruncated, string StderrTail);

/// <summary>
/// Runs <c>/bin/sh -c command</c> with the event on stdin. stdout, stderr and stdin are pumped concurrently so
/// neither side blocks on a full pipe; stdout is capped (the rest is read and dropped), stderr keeps its tail.
/// On timeout or cancellation the whole process tree is killed.
/// </summary>
internal static class ScriptProcess
{
    public const int StdoutLimitBytes = 1 << 20;
    public const int StderrTailBytes = 4096;

    // After the shell exits, a background child may still hold stdout open; we stop waiting for it after this.
    private static readonly TimeSpan PipeGrace = TimeSpan.FromSeconds(2);

    public static async Task<ScriptOutcome> RunAsync(
        string command,
        string? workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        ReadOnlyMemory<byte> stdin,
        TimeSpan timeout,
        CancellationToken ct)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = string.IsNullOrEmpty(workingDirectory) ? "" : workingDirectory,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        foreach (var (k, v) in environment) psi.Environment[k] = v;

        if (!string.IsNullOrEmpty(workingDirectory) && !Directory.Exists(workingDirectory))
            throw new ExecutionFailedException($"working_dir '{workingDirectory}' does not exist");

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new ExecutionFailedException($"cannot start /bin/sh: {ex.Message}", ex);
        }

        using var pipes = new CancellationTokenSource();
        var stdout = new CappedBuffer(StdoutLimitBytes, keepTail: false);
        var stderr = new CappedBuffer(StderrTailBytes, keepTail: true);
        var stdoutPump = PumpAsync(process.StandardOutput.BaseStream, stdout, pipes.Token);
        var stderrPump = PumpAsync(process.StandardError.BaseStream, stderr, pipes.Token);
        var stdinPump = FeedAsync(process.StandardInput.BaseStream, stdin, pipes.Token);

        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            await SettleAsync(pipes, stdoutPump, stderrPump, stdinPump);
            ct.ThrowIfCancellationRequested();
            throw new ExecutionFailedException($"script timed out after {timeout.TotalSeconds:0.###}s{StderrSuffix(stderr)}");
        }

        await SettleAsync(pipes, stdoutPump, stderrPump, stdinPump);
        return new ScriptOutcome(process.ExitCode, stdout.ToArray(), stdout.Truncated, Decode(stderr.ToArray()).Trim());
    }

    private static string StderrSuffix(CappedBuffer stderr)
    {
        var tail = Decode(stderr.ToArray()).Trim();
        return tail.Length == 0 ? "" : $"; stderr: {tail}";
    }

    private static string Decode(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Raced with exit; nothing left to kill.
        }
    }

    /// <summary>Waits for the pumps to see end-of-file, but not for longer than <see cref="PipeGrace"/>.</summary>
    private static async Task SettleAsync(CancellationTokenSource pipes, params Task[] pumps)
    {
        var all = Task.WhenAll(pumps);
        if (await Task.WhenAny(all, Task.Delay(PipeGrace)) != all) await pipes.CancelAsync();
        try { await all; }
        catch (OperationCanceledException) { }
    }

    private static async Task PumpAsync(Stream source, CappedBuffer sink, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer, ct)) > 0) sink.Append(buffer.AsSpan(0, n));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The pipe closed under us (killed or abandoned process); keep what was read.
        }
    }

    private static async Task FeedAsync(Stream stdin, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        try
        {
            if (!body.IsEmpty) await stdin.WriteAsync(body, ct);
            await stdin.FlushAsync(ct);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The script exited without reading all of stdin; that is its choice.
        }
        finally
        {
            try { await stdin.DisposeAsync(); }
            catch (IOException) { }
        }
    }

    /// <summary>Keeps the first (or, with keepTail, the last) <c>limit</c> bytes of a stream.</summary>
    private sealed class CappedBuffer(int limit, bool keepTail)
    {
        private readonly MemoryStream _data = new();
        private readonly Lock _gate = new();

        public bool Truncated { get; private set; }

        public void Append(ReadOnlySpan<byte> chunk)
        {
            lock (_gate)
            {
                if (!keepTail)
                {
                    var room = limit - (int)_data.Length;
                    if (chunk.Length > room) Truncated = true;
                    if (room > 0) _data.Write(chunk[..Math.Min(room, chunk.Length)]);
                    return;
                }
                _data.Write(chunk);
                if (_data.Length > 4L * limit) Trim();
            }
        }

        public byte[] ToArray()
        {
            lock (_gate)
            {
                if (keepTail && _data.Length > limit) Trim();
                return _data.ToArray();
            }
        }

        private void Trim()
        {
            Truncated = true;
            var all = _data.ToArray();
            _data.SetLength(0);
            _data.Write(all, all.Length - limit, limit);
        }
    }
}

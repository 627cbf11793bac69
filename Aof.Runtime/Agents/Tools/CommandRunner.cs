using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Aof.Runtime.Agents.Tools;

/// <summary>Runs one executable with an argument list (no shell), within a timeout, keeping at most a capped amount of output.</summary>
public static class CommandRunner
{
    public static async Task<string> RunAsync(string executable, IReadOnlyList<string> args, string? workingDirectory, TimeSpan timeout, int maxOutputBytes, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = string.IsNullOrWhiteSpace(workingDirectory) ? Environment.CurrentDirectory : workingDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return $"error: could not start '{executable}': {ex.Message}";
        }
        process.StandardInput.Close();

        var output = new CappedBuffer(maxOutputBytes);
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !ct.IsCancellationRequested;
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (!timedOut) throw;
        }
        await Task.WhenAll(stdout, stderr);

        var text = new StringBuilder();
        text.Append(output.Text());
        if (output.Truncated) text.Append($"\n[output truncated at {maxOutputBytes} bytes]");
        text.Append(timedOut ? $"\n[killed: timed out after {timeout.TotalSeconds:0}s]" : $"\n[exit code {process.ExitCode}]");
        return text.ToString();
    }

    private static async Task PumpAsync(StreamReader reader, CappedBuffer into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0) into.Append(buffer.AsSpan(0, read));
    }

    /// <summary>Collects output up to a byte limit, then only drains (the process must not block on a full pipe).</summary>
    private sealed class CappedBuffer(int maxBytes)
    {
        private readonly StringBuilder _text = new();
        private int _bytes;
        public bool Truncated { get; private set; }

        public void Append(ReadOnlySpan<char> chunk)
        {
            lock (_text)
            {
                if (Truncated) return;
                foreach (var c in chunk)
                {
                    var size = Encoding.UTF8.GetByteCount([c]);
                    if (_bytes + size > maxBytes) { Truncated = true; return; }
                    _bytes += size;
                    _text.Append(c);
                }
            }
        }

        public string Text() { lock (_text) return _text.ToString(); }
    }
}

using System.Diagnostics;
using System.Text;

namespace Aof.Tests.Infrastructure;

/// <summary>
/// One of our own services (Aof.Gateway.dll, Aof.Worker.dll from the test output folder) as a real process on
/// a free loopback port: wait for /alive, send it SIGTERM like an orchestrator would, kill it on dispose.
/// Output is kept (bounded) for failure messages.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int MaxKeptChars = 64 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length < MaxKeptChars) _output.AppendLine(line);
        }
    }

    public static ServiceProcess Start(string dll, IDictionary<string, string> env, params string[] args)
    {
        var port = LocalProcesses.FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment.Remove("AOF_ADMIN_TOKEN");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return new ServiceProcess(Process.Start(psi)!, port);
    }

    public async Task WaitAliveAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"process exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync($"{BaseUrl}/alive", ct)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            await Task.Delay(100, ct);
        }
    }

    public void Terminate()
    {
        LocalProcesses.Signal(_process.Id, LocalProcesses.SigTerm);
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
            throw new TimeoutException($"process did not exit within {bound}:\n{Output}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

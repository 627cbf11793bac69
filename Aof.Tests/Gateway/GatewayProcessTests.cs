using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Aof.Tests.Infrastructure;

namespace Aof.Tests.Gateway;

/// <summary>
/// The gateway as a real process (Kestrel, real sockets): start-up failures and exit codes, and the body
/// limit enforced on a real connection. Every process is bounded in time and killed when the test ends.
/// </summary>
public sealed class GatewayProcessTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aof-gwp-" + Guid.NewGuid().ToString("N"));

    public GatewayProcessTests() => Directory.CreateDirectory(Path.Combine(_dir, "triggers"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static Process Start(IDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Aof.Gateway.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment.Remove("AOF_ADMIN_TOKEN");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(IDictionary<string, string> env)
    {
        using var process = Start(env, "--urls", "http://127.0.0.1:0");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Resource_errors_are_printed_to_stderr_and_exit_code_is_2()
    {
        // Two broken files: both must be reported, not just the first.
        File.WriteAllText(Path.Combine(_dir, "triggers", "a.yaml"), "apiVersion: aof.dev/v1\nkind: Trigger\nmetadata:\n  name: a\nspec:\n  type: GitHub\n  config: {}\n");
        File.WriteAllText(Path.Combine(_dir, "triggers", "b.yaml"), "apiVersion: aof.dev/v1\nkind: Trigger\nmetadata:\n  name: [unclosed\n");

        var (exit, _, stderr) = await RunToExitAsync(new Dictionary<string, string>
        {
            ["Aof__Mode"] = "gateway",
            ["Aof__ResourcesDirectory"] = _dir,
        });

        Assert.Equal(2, exit);
        Assert.Contains("a.yaml", stderr);
        Assert.Contains("b.yaml", stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
    }

    [Fact]
    public async Task Worker_mode_is_refused_with_a_clear_error()
    {
        var (exit, _, stderr) = await RunToExitAsync(new Dictionary<string, string>
        {
            ["Aof__Mode"] = "worker",
            ["Aof__ResourcesDirectory"] = _dir,
        });

        Assert.Equal(1, exit);
        Assert.Contains("Aof.Worker", stderr);
    }

    [Fact]
    public async Task Real_server_answers_health_refuses_oversized_chunked_bodies_with_413_and_sends_answers_with_their_length()
    {
        File.WriteAllText(Path.Combine(_dir, "triggers", "github.yaml"), GatewayApp.DefaultTriggers);
        Directory.CreateDirectory(Path.Combine(_dir, "agents"));
        File.WriteAllText(Path.Combine(_dir, "agents", "reviewer.yaml"),
            "apiVersion: aof.dev/v1\nkind: Agent\nmetadata:\n  name: reviewer\nspec:\n  model: google:gemini-2.5-flash\n  instructions: Review.\n");
        var port = LocalProcesses.FreePort();
        using var process = Start(new Dictionary<string, string>
        {
            ["Aof__Mode"] = "gateway",
            ["Aof__Queue__Type"] = "memory",
            ["Aof__ResourcesDirectory"] = _dir,
            ["Aof__Gateway__MaxBodyBytes"] = "4096",
        }, "--urls", $"http://127.0.0.1:{port}");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Bound);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUpAsync(http, process, cts.Token);

            var body = Encoding.UTF8.GetBytes(GatewayApp.PullRequestClosed + new string(' ', 10_000));
            var request = GatewayApp.SignedRequest("/webhook/github", body, "application/json", "pull_request", "big", GatewayApp.Secret);
            request.Content = new StreamContent(new MemoryStream(body)); // no Content-Length: sent chunked
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.TransferEncodingChunked = true;
            var tooLarge = await http.SendAsync(request, cts.Token);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

            var small = await http.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened), cts.Token);
            Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);

            // Answers are written whole, with a Content-Length: one write per answer, no chunk framing.
            var unsigned = await http.SendAsync(GatewayApp.Delivery("pull_request", GatewayApp.PullRequestOpened, secret: "wrong"), cts.Token);
            Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
            foreach (var answer in new[] { tooLarge, small, unsigned })
            {
                Assert.NotEqual(true, answer.Headers.TransferEncodingChunked);
                Assert.Equal((await answer.Content.ReadAsByteArrayAsync(cts.Token)).Length, answer.Content.Headers.ContentLength);
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.DoesNotContain("Unhandled exception", await stderr);
    }

    private static async Task WaitUntilUpAsync(HttpClient http, Process process, CancellationToken ct)
    {
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"gateway exited with {process.ExitCode} before it was up");
            try
            {
                if ((await http.GetAsync("/alive", ct)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100, ct);
        }
    }
}

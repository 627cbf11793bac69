using System.Net;
using System.Net.Sockets;
using Aof.AppHost.Hosting.Processes;

namespace Aof.Tests.AppHost;

/// <summary>The AppHost as a real process: stopping on SIGINT, dying with SIGKILL, and refusing bad starts.</summary>
public sealed class AppHostProcessTests : IDisposable
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(45);
    private readonly AppHostResources _resources = new();

    public void Dispose() => _resources.Dispose();

    [Fact]
    public async Task Sigint_stops_workers_then_gateway_then_redis_and_leaves_no_process_behind()
    {
        await using var apphost = AppHostProcess.Start(_resources.Args());
        await apphost.WaitReadyAsync(StartBound);
        var children = apphost.ChildPids;
        Assert.Equal(4, children.Count); // redis, gateway, worker-0, worker-1

        Assert.True(UnixSignals.Send(apphost.Id, UnixSignals.SigInt));
        var exit = await apphost.WaitForExitAsync(TimeSpan.FromSeconds(50));

        Assert.True(exit == 0, apphost.Output);
        Assert.All(children, pid => Assert.True(AppHostProcess.IsGone(pid), $"pid {pid} outlived the AppHost"));
        var output = apphost.Output;
        var stopped = new[] { "worker-0 stopped", "worker-1 stopped", "gateway stopped", "redis stopped" }.Select(s => output.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.All(stopped, i => Assert.True(i >= 0, output));
        Assert.True(stopped[0] < stopped[2] && stopped[1] < stopped[2] && stopped[2] < stopped[3], output);
    }

    [Fact]
    public async Task Sigkill_of_the_apphost_takes_every_child_with_it()
    {
        await using var apphost = AppHostProcess.Start(_resources.Args("--workers", "1"));
        await apphost.WaitReadyAsync(StartBound);
        var children = apphost.ChildPids;
        Assert.Equal(3, children.Count);

        Assert.True(UnixSignals.Send(apphost.Id, UnixSignals.SigKill));
        await apphost.WaitForExitAsync(TimeSpan.FromSeconds(10));

        await AppHostProcess.WaitGoneAsync(children, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Redis_that_exits_at_start_shows_its_last_lines_starts_no_dependent_and_exits_non_zero()
    {
        // A file where redis keeps its append-only directory: redis-server gives up at start, as with an unwritable data dir.
        Directory.CreateDirectory(Path.Combine(_resources.StateDirectory, "redis"));
        await File.WriteAllTextAsync(Path.Combine(_resources.StateDirectory, "redis", "appendonlydir"), "not a directory");

        await using var apphost = AppHostProcess.Start(_resources.Args());
        var exit = await apphost.WaitForExitAsync(StartBound);

        var output = apphost.Output;
        Assert.True(exit != 0, output);
        Assert.Contains("error: redis failed to start: it exited at start", output);
        Assert.Contains("last lines of redis:", output);
        Assert.Contains("Can't open or create append-only dir", output);
        Assert.DoesNotContain("gateway started", output);
        Assert.DoesNotContain("worker-0 started", output);
    }

    [Fact]
    public async Task A_fixed_gateway_port_in_use_is_an_error_naming_the_resource_and_the_port()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var apphost = AppHostProcess.Start([.. _resources.Args(), "--port", port.ToString()]);
        var exit = await apphost.WaitForExitAsync(StartBound);

        Assert.True(exit != 0, apphost.Output);
        Assert.Contains($"gateway failed to start: port {port} is already in use", apphost.Output);
        Assert.Empty(apphost.ChildPids);
    }

    [Fact]
    public async Task Without_redis_server_it_says_how_to_install_it_and_runs_the_gateway_standalone()
    {
        // A PATH without redis-server (it is in /usr/bin here; the AppHost also looks in the sbin folders only).
        var env = new Dictionary<string, string> { ["PATH"] = "/nonexistent" };
        await using var apphost = AppHostProcess.Start(env, _resources.Args());
        await apphost.WaitReadyAsync(StartBound);

        var output = apphost.Output;
        Assert.Contains("redis-server was not found", output);
        Assert.Contains("apt-get install -y redis-server nats-server", output);
        Assert.Contains("embedded topology", output);
        Assert.Single(apphost.ChildPids); // the gateway alone
        Assert.DoesNotContain("worker-0 started", output);
        Assert.True(UnixSignals.Send(apphost.Id, UnixSignals.SigTerm));
        Assert.Equal(0, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task An_examples_folder_with_invalid_resources_shows_the_gateways_errors_and_exits_non_zero()
    {
        await File.WriteAllTextAsync(Path.Combine(_resources.ExamplesDirectory, "broken.yaml"), """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata:
              name: broken
            spec:
              type: GitHub
              commands:
                /x:
                  flow: no-such-flow
            """);

        await using var apphost = AppHostProcess.Start(_resources.Args());
        var exit = await apphost.WaitForExitAsync(StartBound);

        var output = apphost.Output;
        Assert.True(exit != 0, output);
        Assert.Contains("error: gateway failed to start: it exited at start (exit code 2)", output);
        Assert.Contains("no-such-flow", output);
        Assert.DoesNotContain("worker-0 started", output);
    }
}

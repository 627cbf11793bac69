using Aof.Tests.Infrastructure;

namespace Aof.Tests.EndToEnd;

/// <summary>The worker host refuses what it cannot run with one clear message and an exit code.</summary>
public sealed class WorkerStartupTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aof-wst-" + Guid.NewGuid().ToString("N"));

    public WorkerStartupTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Invalid_resources_list_every_error_and_exit_2()
    {
        File.WriteAllText(Path.Combine(_dir, "a.yaml"), "apiVersion: aof.dev/v1\nkind: Robot\nmetadata:\n  name: a\nspec: {}\n");
        File.WriteAllText(Path.Combine(_dir, "b.yaml"), "apiVersion: aof.dev/v1\nkind: AgentFlow\nmetadata:\n  name: b\nspec:\n  nodes: []\n  connections:\n    - from: start\n      to: nowhere\n");
        await using var worker = ServiceProcess.Start("Aof.Worker.dll", new Dictionary<string, string>
        {
            ["Aof__ResourcesDirectory"] = _dir,
            ["Aof__Queue__Type"] = "memory",
        });

        Assert.Equal(2, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("a.yaml", worker.Output);
        Assert.Contains("Robot", worker.Output);
        Assert.Contains("b.yaml", worker.Output);
        Assert.Contains("nowhere", worker.Output);
        Assert.DoesNotContain("   at ", worker.Output); // no stack trace
    }

    [Fact]
    public async Task Gateway_mode_is_refused_with_exit_1()
    {
        await using var worker = ServiceProcess.Start("Aof.Worker.dll", new Dictionary<string, string>
        {
            ["Aof__ResourcesDirectory"] = _dir,
        }, "--mode", "gateway");

        Assert.Equal(1, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Aof.Gateway", worker.Output);
    }

    [Fact]
    public async Task Redis_without_an_address_is_refused_with_exit_1()
    {
        await using var worker = ServiceProcess.Start("Aof.Worker.dll", new Dictionary<string, string>
        {
            ["Aof__ResourcesDirectory"] = _dir,
            ["Aof__Queue__Type"] = "redis",
        });

        Assert.Equal(1, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("ConnectionStrings:redis", worker.Output);
    }
}

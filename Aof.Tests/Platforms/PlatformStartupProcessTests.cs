using System.Diagnostics;

namespace Aof.Tests.Platforms;

/// <summary>The gateway as a real process: a configured platform whose secret variable is empty stops the start with a clear error.</summary>
public sealed class PlatformStartupProcessTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aof-pfp-" + Guid.NewGuid().ToString("N"));

    public PlatformStartupProcessTests() => Directory.CreateDirectory(Path.Combine(_dir, "triggers"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Empty_secret_variable_exits_with_code_1_naming_the_variable()
    {
        File.WriteAllText(Path.Combine(_dir, "triggers", "slack.yaml"), """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata:
              name: slack-bot
            spec:
              type: Slack
              config:
                channels: [C1]
              commands:
                /deploy:
                  flow: deploy
            """);
        File.WriteAllText(Path.Combine(_dir, "flow.yaml"), Resources.ResourceYaml.Flow("deploy"));
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Aof.Gateway.dll"));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add("http://127.0.0.1:0");
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["Aof__Mode"] = "gateway";
        psi.Environment["Aof__Queue__Type"] = "memory";
        psi.Environment["Aof__ResourcesDirectory"] = _dir;
        psi.Environment["Aof__Platforms__Slack__SigningSecretEnv"] = "AOF_SLACK_SIGNING_SECRET_FOR_TEST";
        psi.Environment["AOF_SLACK_SIGNING_SECRET_FOR_TEST"] = "";

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        var error = await stderr;
        await stdout;
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("platforms.slack.signing_secret_env: environment variable AOF_SLACK_SIGNING_SECRET_FOR_TEST is not set or empty", error);
        Assert.DoesNotContain("   at ", error);
    }
}

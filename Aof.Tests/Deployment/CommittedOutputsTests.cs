namespace Aof.Tests.Deployment;

/// <summary>The files under deploy/ are what the model generates now; regenerate with deploy/generate.sh.</summary>
public sealed class CommittedOutputsTests
{
    public static TheoryData<string, string[]> Outputs => new()
    {
        { "manifest/aspire-manifest.json", ["--publisher", "manifest"] },
        { "kubernetes/redis", ["--publisher", "kubernetes", "--queue", "redis"] },
        { "kubernetes/nats", ["--publisher", "kubernetes", "--queue", "nats"] },
        { "helm/aof", ["--publisher", "helm"] },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public async Task Committed_outputs_equal_a_fresh_generation(string relative, string[] args)
    {
        var committed = Path.Combine(Publish.RepositoryRoot, "deploy", relative);
        // Generated at the same depth below the repository as deploy/, so the manifest's relative project paths match.
        using var temp = new TempFolder(Publish.RepositoryRoot);
        var fresh = Path.Combine(temp.Path, relative);
        var result = await Publish.RunAsync([.. args, "--output-path", fresh]);
        Assert.True(result.ExitCode == 0, result.Output);

        var stale = $"deploy/{relative} is stale: run deploy/generate.sh and commit the result";
        if (File.Exists(fresh))
        {
            Assert.True(File.Exists(committed), stale);
            Assert.True(await File.ReadAllTextAsync(committed) == await File.ReadAllTextAsync(fresh), stale);
            return;
        }
        var freshFiles = Files(fresh);
        Assert.True(Directory.Exists(committed), stale);
        Assert.True(freshFiles.SequenceEqual(Files(committed)), $"{stale} (the files differ)");
        foreach (var file in freshFiles)
        {
            Assert.True(await File.ReadAllTextAsync(Path.Combine(committed, file)) == await File.ReadAllTextAsync(Path.Combine(fresh, file)),
                $"{stale} ({file} differs)");
        }
    }

    private static List<string> Files(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
}

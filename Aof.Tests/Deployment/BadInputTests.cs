using Aof.AppHost.Hosting.Builder;
using Aof.Tests.AppHost;

namespace Aof.Tests.Deployment;

/// <summary>The bad-input rows, and the command line azd uses, against the AppHost as a real process.</summary>
public sealed class BadInputTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Publisher_arguments_work_with_and_without_a_leading_double_dash_and_start_nothing(bool doubleDash)
    {
        using var temp = new TempFolder();
        var file = Path.Combine(temp.Path, "out", "aspire-manifest.json");
        string[] args = ["--publisher", "manifest", "--output-path", file];
        await using var apphost = AppHostProcess.Start(doubleDash ? ["--", .. args] : args);

        var exit = await apphost.WaitForExitAsync(Bound);

        Assert.True(exit == 0, apphost.Output);
        Assert.True(File.Exists(file), apphost.Output);
        Assert.DoesNotContain("starting", apphost.Output);
        Assert.Empty(apphost.ChildPids);
    }

    [Fact]
    public async Task An_unknown_publisher_exits_non_zero_listing_the_publishers()
    {
        using var temp = new TempFolder();
        await using var apphost = AppHostProcess.Start("--publisher", "terraform", "--output-path", Path.Combine(temp.Path, "x"));

        var exit = await apphost.WaitForExitAsync(Bound);

        Assert.True(exit != 0, apphost.Output);
        Assert.Contains("unknown publisher 'terraform'", apphost.Output);
        Assert.Contains("manifest, kubernetes, helm", apphost.Output);
        Assert.DoesNotContain("Unhandled exception", apphost.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task A_publisher_without_an_output_path_is_refused()
    {
        await using var apphost = AppHostProcess.Start("--publisher", "kubernetes");

        var exit = await apphost.WaitForExitAsync(Bound);

        Assert.True(exit != 0, apphost.Output);
        Assert.Contains("--output-path", apphost.Output);
    }

    [Theory]
    [InlineData("manifest", "aspire-manifest.json")]
    [InlineData("kubernetes", "k8s")]
    [InlineData("helm", "aof")]
    public async Task An_unwritable_output_path_exits_non_zero_naming_it_and_writes_nothing(string publisher, string name)
    {
        using var temp = new TempFolder();
        // A regular file where a folder must be: not writable even for root.
        var blocker = Path.Combine(temp.Path, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "x");
        var output = Path.Combine(blocker, name);
        await using var apphost = AppHostProcess.Start("--publisher", publisher, "--output-path", output);

        var exit = await apphost.WaitForExitAsync(Bound);

        Assert.True(exit != 0, apphost.Output);
        Assert.Contains($"cannot write {output}", apphost.Output);
        Assert.Equal([blocker], Directory.EnumerateFileSystemEntries(temp.Path));
        Assert.Equal("x", await File.ReadAllTextAsync(blocker));
    }

    [Fact]
    public async Task A_failed_write_leaves_the_previous_output_folder_as_it_was()
    {
        using var temp = new TempFolder();
        var output = Path.Combine(temp.Path, "k8s");
        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "kubernetes", "--output-path", output])).ExitCode);
        var before = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Order().ToList();

        // The model now holds something the publisher refuses: the earlier output must stay whole.
        var result = await Publish.RunAsync(["--publisher", "kubernetes", "--output-path", output],
            b => b.AddResource(new ExecutableResource("migrations")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(before, Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Order().ToList());
        Assert.Equal([output], Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task A_folder_with_files_the_publisher_did_not_write_is_not_replaced()
    {
        using var temp = new TempFolder();
        var mine = Path.Combine(temp.Path, "notes.md");
        await File.WriteAllTextAsync(mine, "mine");

        var result = await Publish.RunAsync(["--publisher", "helm", "--output-path", temp.Path]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot write {temp.Path}: it holds notes.md", result.Output);
        Assert.Equal([mine], Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task A_file_that_is_not_a_manifest_is_not_overwritten()
    {
        using var temp = new TempFolder();
        var readme = Path.Combine(temp.Path, "README.md");
        await File.WriteAllTextAsync(readme, "mine");

        var result = await Publish.RunAsync(["--publisher", "manifest", "--output-path", readme]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot write {readme}: the file exists", result.Output);
        Assert.Equal("mine", await File.ReadAllTextAsync(readme));
        Assert.Equal([readme], Directory.EnumerateFileSystemEntries(temp.Path));
        // An earlier manifest is replaced.
        var manifest = Path.Combine(temp.Path, "aspire-manifest.json");
        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "manifest", "--output-path", manifest])).ExitCode);
        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "manifest", "--output-path", manifest, "--queue", "nats"])).ExitCode);
        Assert.Contains("\"nats\"", await File.ReadAllTextAsync(manifest));
    }

    [Fact]
    public async Task Earlier_output_is_replaced_even_when_the_new_one_has_other_files()
    {
        using var temp = new TempFolder();
        var output = Path.Combine(temp.Path, "k8s");
        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "kubernetes", "--queue", "nats", "--output-path", output])).ExitCode);

        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "kubernetes", "--queue", "redis", "--output-path", output])).ExitCode);

        Assert.True(File.Exists(Path.Combine(output, "redis.yaml")));
        Assert.False(File.Exists(Path.Combine(output, "nats.yaml")));
    }

    [Theory]
    [InlineData("manifest")]
    [InlineData("kubernetes")]
    [InlineData("helm")]
    public async Task A_resource_a_publisher_cannot_express_is_a_clear_error_naming_it(string publisher)
    {
        using var temp = new TempFolder();
        var output = Path.Combine(temp.Path, "out");

        var result = await Publish.RunAsync(["--publisher", publisher, "--output-path", output],
            b => b.AddResource(new ExecutableResource("migrations")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the {publisher} publisher cannot express resource 'migrations' (ExecutableResource)", result.Output);
        Assert.False(Path.Exists(output));
    }

    [Fact]
    public async Task The_manifest_refuses_an_examples_folder_it_cannot_ship()
    {
        using var temp = new TempFolder();
        var examples = Path.Combine(temp.Path, "resources");
        Directory.CreateDirectory(examples);
        File.Copy(Path.Combine(Publish.RepositoryRoot, "examples", "daemon.yaml"), Path.Combine(examples, "daemon.yaml"));
        var output = Path.Combine(temp.Path, "m.json");

        var result = await Publish.RunAsync(["--publisher", "manifest", "--output-path", output, "--examples", examples]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot express the resources of {examples}", result.Output);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Publisher_options_parse_in_the_forms_azd_and_users_type()
    {
        var options = AppHostOptions.Parse(["--", "--publisher=Manifest", "--output-path", "out.json"]);

        Assert.Equal("manifest", options.Publisher);
        Assert.Equal(Path.GetFullPath("out.json"), options.OutputPath);
        var ex = Assert.Throws<ArgumentException>(() => AppHostOptions.Parse(["--publisher", "bicep", "--output-path", "x"]));
        Assert.Contains("manifest, kubernetes, helm", ex.Message);
    }
}

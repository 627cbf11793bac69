using Aof.Core.Configuration;
using Aof.Core.Hosting;
using Aof.Core.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Resources;

public sealed class DaemonConfigurationTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly List<string> _processVariables = [];

    public void Dispose()
    {
        foreach (var name in _processVariables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        _tree.Dispose();
    }

    private const string Daemon = """
        apiVersion: aof.dev/v1
        kind: DaemonConfig
        metadata:
          name: test
        spec:
          mode: gateway
          queue:
            type: redis
            max_retries: 5
            url: ${REDIS_URL:-redis://localhost:6379}
          gateway:
            ack_timeout_ms: 1500
          platforms:
            github:
              allowed_orgs: [acme, initech]
          runtime:
            env:
              MY_VAR: kept
          flows:
            directory: ./flows
          resources_directory: shared
        """;

    /// <summary>A process env source with a prefix unique to this test, so parallel tests never see its values.</summary>
    private string SetPrefixedEnv(string key, string value)
    {
        var prefix = $"AOFT{Guid.NewGuid():N}_"[..16];
        var name = prefix + key;
        _processVariables.Add(name);
        Environment.SetEnvironmentVariable(name, value);
        return prefix;
    }

    [Fact]
    public void Flattens_spec_to_pascal_case_keys_and_resolves_directories_against_the_file()
    {
        var path = _tree.Write("conf/daemon.yaml", Daemon);

        var data = DaemonConfigFile.Read(path, TestEnv.Empty);

        Assert.Equal("gateway", data["Aof:Mode"]);
        Assert.Equal("redis", data["Aof:Queue:Type"]);
        Assert.Equal("5", data["Aof:Queue:MaxRetries"]);
        Assert.Equal("redis://localhost:6379", data["Aof:Queue:Url"]);
        Assert.Equal("1500", data["Aof:Gateway:AckTimeoutMs"]);
        Assert.Equal("acme", data["Aof:Platforms:Github:AllowedOrgs:0"]);
        Assert.Equal("initech", data["Aof:Platforms:Github:AllowedOrgs:1"]);
        Assert.Equal("kept", data["Aof:Runtime:Env:MY_VAR"]);
        var shared = _tree.PathOf("conf/shared");
        var flows = _tree.PathOf("conf/flows");
        Assert.Equal(shared, data["Aof:ResourcesDirectory"]);
        Assert.Equal(flows, data["Aof:Flows:Directory"]);
        Assert.Equal(shared, data["Aof:ResourceDirectories:0"]);
        Assert.Equal(flows, data["Aof:ResourceDirectories:1"]);
        Assert.False(data.ContainsKey("Aof:ResourceDirectories:2"));
    }

    [Fact]
    public void Without_directories_the_config_files_folder_is_the_resource_directory()
    {
        var path = _tree.Write("conf/daemon.yaml", "apiVersion: aof.dev/v1\nkind: DaemonConfig\nmetadata: { name: d }\nspec: { queue: { type: memory } }\n");

        var data = DaemonConfigFile.Read(path, TestEnv.Empty);

        Assert.Equal(_tree.PathOf("conf"), data["Aof:ResourceDirectories:0"]);
    }

    [Theory]
    [InlineData("max_retries", "MaxRetries")]
    [InlineData("ack_timeout_ms", "AckTimeoutMs")]
    [InlineData("queue", "Queue")]
    [InlineData("bot-token-env", "BotTokenEnv")]
    [InlineData("MY_VAR", "MY_VAR")]
    [InlineData("alreadyPascal", "alreadyPascal")]
    public void Snake_case_to_pascal_case(string key, string expected)
    {
        Assert.Equal(expected, DaemonConfigFile.ToPascalCase(key));
    }

    [Fact]
    public void Environment_variables_override_the_yaml_and_mode_overrides_everything()
    {
        var path = _tree.Write("daemon.yaml", Daemon);
        var prefix = SetPrefixedEnv("Aof__Queue__MaxRetries", "9");
        Environment.SetEnvironmentVariable(prefix + "Aof__Mode", "standalone");
        _processVariables.Add(prefix + "Aof__Mode");
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("Aof:Queue:Type", "from-appsettings"), new("Aof:Gateway:AckTimeoutMs", "999")]);
        configuration.AddEnvironmentVariables(prefix);

        AofConfiguration.Apply(configuration, ["--config", path, "--mode=worker"], TestEnv.Empty);

        var options = configuration.GetSection(AofOptions.Section).Get<AofOptions>()!;
        Assert.Equal(9, options.Queue.MaxRetries);            // env beats YAML
        Assert.Equal("redis", options.Queue.Type);             // YAML beats the sources before it
        Assert.Equal(1500, options.Gateway.AckTimeoutMs);
        Assert.Equal(AofModes.Worker, options.Mode);           // --mode beats env and YAML
        Assert.Equal("aof-workers", options.Queue.ConsumerGroup); // untouched default
        Assert.Equal([_tree.PathOf("shared"), _tree.PathOf("flows")], options.ResourceDirectories);
        Assert.Equal([_tree.PathOf("shared"), _tree.PathOf("flows")], AofOptions.ResourceDirectoriesFrom(configuration));
    }

    [Fact]
    public void Yaml_expansion_uses_the_given_environment()
    {
        var path = _tree.Write("daemon.yaml", Daemon);
        var configuration = new ConfigurationManager();

        AofConfiguration.Apply(configuration, ["--config=" + path], TestEnv.Of(("REDIS_URL", "redis://cache:6380")));

        Assert.Equal("redis://cache:6380", configuration["Aof:Queue:Url"]);
        Assert.Equal("gateway", configuration["Aof:Mode"]);
    }

    [Fact]
    public void The_daemon_source_goes_after_appsettings_and_before_the_environment_of_a_web_host()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _tree.Root });
        var path = _tree.Write("daemon.yaml", Daemon);

        AofConfiguration.Apply(builder.Configuration, ["--config", path], TestEnv.Empty);

        var sources = builder.Configuration.Sources;
        var index = sources.IndexOf(sources.OfType<DaemonConfigSource>().Single());
        var lastJson = sources.Select((s, i) => (s, i)).Last(x => x.s is FileConfigurationSource).i;
        var firstEnvAfter = sources.Select((s, i) => (s, i)).First(x => x.s is EnvironmentVariablesConfigurationSource && x.i > lastJson).i;
        Assert.True(index > lastJson && index < firstEnvAfter, $"daemon source at {index}, last file {lastJson}, env {firstEnvAfter}");
        Assert.Equal("gateway", builder.Configuration["Aof:Mode"]);
    }

    [Fact]
    public void Aof_config_variable_is_used_without_config_argument()
    {
        var path = _tree.Write("daemon.yaml", Daemon);
        var configuration = new ConfigurationManager();

        AofConfiguration.Apply(configuration, [], TestEnv.Of(("AOF_CONFIG", path)));

        Assert.Equal("5", configuration["Aof:Queue:MaxRetries"]);
    }

    [Fact]
    public void Without_config_nothing_is_added_and_configured_directories_are_used()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("Aof:ResourcesDirectory", "/srv/aof")]);

        AofConfiguration.Apply(configuration, ["--mode", "Gateway"], TestEnv.Empty);

        Assert.Empty(configuration.Sources.OfType<DaemonConfigSource>());
        Assert.Equal("gateway", configuration["Aof:Mode"]);
        Assert.Equal(["/srv/aof"], AofOptions.ResourceDirectoriesFrom(configuration));
        Assert.Empty(AofOptions.ResourceDirectoriesFrom(new ConfigurationManager()));
    }

    [Theory]
    [InlineData("--mode", "turbo")]
    [InlineData("--mode=", null)]
    [InlineData("--mode", null)]
    [InlineData("--config", null)]
    public void Bad_arguments_are_clear_errors(string arg, string? value)
    {
        string[] args = value is null ? [arg] : [arg, value];

        var ex = Assert.Throws<ArgumentException>(() => AofConfiguration.Apply(new ConfigurationManager(), args, TestEnv.Empty));

        Assert.Contains(arg.TrimEnd('='), ex.Message);
        if (value is not null)
        {
            Assert.Contains("standalone, gateway or worker, not 'turbo'", ex.Message);
        }
    }

    [Fact]
    public void Missing_config_file_names_the_path()
    {
        var missing = _tree.PathOf("nope/daemon.yaml");

        var ex = Assert.Throws<FileNotFoundException>(() => AofConfiguration.Apply(new ConfigurationManager(), ["--config", missing], TestEnv.Empty));

        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void Invalid_daemon_file_lists_its_errors()
    {
        var path = _tree.Write("daemon.yaml", "apiVersion: aof.dev/v1\nkind: Agent\nmetadata: { name: d }\nspec: { mode: turbo }\n");

        var ex = Assert.Throws<ResourceLoadException>(() => DaemonConfigFile.Read(path, TestEnv.Empty));

        Assert.Contains(ex.Errors, e => e.Field == "kind" && e.Message.Contains("must be DaemonConfig"));
        Assert.Contains(ex.Errors, e => e.Field == "spec.mode" && e.Message.Contains("not 'turbo'"));
    }

    [Fact]
    public void Example_daemon_config_binds()
    {
        var path = Path.Combine(RepoRoot.Find(), "examples", "daemon.yaml");
        var configuration = new ConfigurationManager();

        AofConfiguration.Apply(configuration, ["--config", path], TestEnv.Empty);

        var options = configuration.GetSection(AofOptions.Section).Get<AofOptions>()!;
        Assert.Equal(AofModes.Standalone, options.Mode);
        Assert.Equal("memory", options.Queue.Type);
        Assert.Equal(3, options.Queue.MaxRetries);
        Assert.Equal(8, options.Worker.Concurrency);
        Assert.Equal([Path.GetDirectoryName(path)!], options.ResourceDirectories);
    }

    [Fact]
    public void AddAofResources_loads_the_catalog_eagerly_and_fails_fast()
    {
        _tree.Write("good/flow.yaml", ResourceYaml.Flow("f"));
        _tree.Write("bad/a.yaml", "apiVersion: aof.dev/v1\nkind: Nope\nmetadata: { name: a }\n");
        _tree.Write("bad/b.yaml", ResourceYaml.Flow("g", nodeType: "Warp"));

        var good = new ConfigurationManager();
        good.AddInMemoryCollection([new("Aof:ResourceDirectories:0", _tree.PathOf("good"))]);
        using var provider = new ServiceCollection().AddAofResources(good).BuildServiceProvider();
        Assert.Equal(["f"], provider.GetRequiredService<ResourceCatalog>().Flows.Keys);

        using var empty = new ServiceCollection().AddAofResources(new ConfigurationManager()).BuildServiceProvider();
        Assert.Same(ResourceCatalog.Empty, empty.GetRequiredService<ResourceCatalog>());

        var bad = new ConfigurationManager();
        bad.AddInMemoryCollection([new("Aof:ResourceDirectories:0", _tree.PathOf("bad"))]);
        var ex = Assert.Throws<ResourceLoadException>(() => new ServiceCollection().AddAofResources(bad));
        Assert.Equal(2, ex.Errors.Count);
    }
}

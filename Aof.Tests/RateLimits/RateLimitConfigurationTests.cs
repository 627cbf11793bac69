using Aof.Core.Configuration;
using Aof.Core.Hosting;
using Aof.Core.RateLimits;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aof.Tests.RateLimits;

/// <summary><c>runtime.rate_limits</c>: what a DaemonConfig says, what the policy makes of it, and what bad input gets.</summary>
public sealed class RateLimitConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aof-ratelimits-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private const string Valid = """
        apiVersion: aof.dev/v1
        kind: DaemonConfig
        metadata:
          name: limits
        spec:
          runtime:
            rate_limits:
              per_organization:
                executions_per_minute: 600
                max_concurrent: 20
              per_repository:
                max_concurrent: 5
              organizations:
                - name: big-org
                  executions_per_minute: 6000
              repositories:
                - name: myorg/noisy_repo
                  executions_per_minute: 10
                  max_concurrent: 2
        """;

    private IConfiguration FromYaml(string yaml)
    {
        var path = Path.Combine(_dir, "daemon.yaml");
        File.WriteAllText(path, yaml);
        return new ConfigurationBuilder().AddInMemoryCollection(DaemonConfigFile.Read(path, _ => null)).Build();
    }

    private IConfiguration WithLimits(string rateLimitsYaml)
    {
        var indented = string.Join('\n', rateLimitsYaml.Split('\n').Select(l => "      " + l));
        return FromYaml("apiVersion: aof.dev/v1\nkind: DaemonConfig\nmetadata:\n  name: x\nspec:\n  runtime:\n    rate_limits:\n" + indented + "\n");
    }

    [Fact]
    public void A_daemon_config_maps_onto_defaults_and_named_limits()
    {
        var limits = RateLimitConfiguration.Read(FromYaml(Valid));
        Assert.Equal(600, limits.PerOrganization!.ExecutionsPerMinute);
        Assert.Equal(20, limits.PerOrganization.MaxConcurrent);
        Assert.Null(limits.PerRepository!.ExecutionsPerMinute);
        Assert.Equal(5, limits.PerRepository.MaxConcurrent);
        Assert.Equal("big-org", Assert.Single(limits.Organizations).Name);
        var repo = Assert.Single(limits.Repositories);
        // Names are data: kept as written, not turned into PascalCase like keys.
        Assert.Equal("myorg/noisy_repo", repo.Name);
        Assert.Equal((10, 2), (repo.ExecutionsPerMinute, repo.MaxConcurrent));
    }

    [Fact]
    public void The_policy_picks_the_named_limit_else_the_default_per_tenant()
    {
        var policy = new RateLimitPolicy(RateLimitConfiguration.Read(FromYaml(Valid)));

        var noisy = policy.ScopesFor("MyOrg", "MyOrg/Noisy_Repo");
        Assert.Equal(["org:myorg", "repo:myorg/noisy_repo"], noisy.Select(s => s.Key));
        Assert.Equal((600, 20), (noisy[0].PerMinute, noisy[0].MaxConcurrent));
        Assert.Equal((10, 2), (noisy[1].PerMinute, noisy[1].MaxConcurrent));
        Assert.Equal([RateLimitScope.Organization, RateLimitScope.Repository], noisy.Select(s => s.Kind));

        var other = policy.ScopesFor("big-org", "big-org/app");
        Assert.Equal((6000, 0), (other[0].PerMinute, other[0].MaxConcurrent));
        Assert.Equal((0, 5), (other[1].PerMinute, other[1].MaxConcurrent));

        // A channel event with no organization or repository is not limited.
        Assert.Empty(policy.ScopesFor(null, null));
    }

    [Fact]
    public void Without_rate_limits_the_policy_is_empty_and_limits_nothing()
    {
        var policy = new RateLimitPolicy(RateLimitConfiguration.Read(FromYaml("apiVersion: aof.dev/v1\nkind: DaemonConfig\nmetadata:\n  name: x\nspec:\n  runtime:\n    task_timeout_secs: 10\n")));
        Assert.True(policy.IsEmpty);
        Assert.Empty(policy.ScopesFor("myorg", "myorg/repo"));

        var named = new RateLimitPolicy(RateLimitConfiguration.Read(WithLimits("repositories:\n  - name: a/b\n    max_concurrent: 1")));
        Assert.False(named.IsEmpty);
        Assert.Equal("repo:a/b", Assert.Single(named.ScopesFor("a", "a/b")).Key);
        Assert.Empty(named.ScopesFor("a", "a/c"));
    }

    [Theory]
    [InlineData("per_repository:\n  executions_per_minute: -5", "runtime.rate_limits.per_repository.executions_per_minute", "-5")]
    [InlineData("per_repository:\n  executions_per_minute: 0", "runtime.rate_limits.per_repository.executions_per_minute", "'0'")]
    [InlineData("per_organization:\n  max_concurrent: 0", "runtime.rate_limits.per_organization.max_concurrent", "'0'")]
    [InlineData("per_organization:\n  max_concurrent: lots", "runtime.rate_limits.per_organization.max_concurrent", "lots")]
    [InlineData("per_organization:\n  max_concurrent: 2.5", "runtime.rate_limits.per_organization.max_concurrent", "2.5")]
    [InlineData("per_organization:\n  executions_per_minute: 10001", "runtime.rate_limits.per_organization.executions_per_minute", "10,000")]
    [InlineData("repositories:\n  - name: a/b\n    executions_per_minute: -1", "runtime.rate_limits.repositories[0].executions_per_minute", "-1")]
    [InlineData("repositories:\n  - name: a/b\n    execution_per_minute: 10", "runtime.rate_limits.repositories[0].execution_per_minute", "not a known setting")]
    [InlineData("per_repo:\n  max_concurrent: 2", "runtime.rate_limits.per_repo", "not a known setting")]
    [InlineData("per_repository:\n  max_concurent: 2", "runtime.rate_limits.per_repository.max_concurent", "not a known setting")]
    [InlineData("organizations:\n  - executions_per_minute: 5", "runtime.rate_limits.organizations[0].name", "required")]
    [InlineData("repositories:\n  - name: a/b", "runtime.rate_limits.repositories[0]", "sets no limit")]
    [InlineData("repositories:\n  - name: a/b\n    max_concurrent: 1\n  - name: A/B\n    max_concurrent: 2", "runtime.rate_limits.repositories[1].name", "already limited by runtime.rate_limits.repositories[0]")]
    [InlineData("repositories:\n  a/b:\n    max_concurrent: 1", "runtime.rate_limits.repositories", "must be a list")]
    public void Invalid_limits_are_a_startup_error_naming_the_field(string rateLimitsYaml, string field, string detail)
    {
        var ex = Assert.Throws<RateLimitConfigurationException>(() => RateLimitConfiguration.Read(WithLimits(rateLimitsYaml)));
        Assert.Contains(field, ex.Message);
        Assert.Contains(detail, ex.Message);
        // An InvalidOperationException, which the hosts report as "cannot start" with exit code 1.
        Assert.IsAssignableFrom<InvalidOperationException>(ex);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var ex = Assert.Throws<RateLimitConfigurationException>(() => RateLimitConfiguration.Read(WithLimits(
            "per_repository:\n  executions_per_minute: -5\n  max_concurrent: 0\nbogus: 1")));
        Assert.Equal(3, ex.Errors.Count);
    }

    [Fact]
    public void Environment_variables_are_checked_like_the_yaml()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Aof:Runtime:RateLimits:Repositories:0:Name"] = "a/b",
            ["Aof:Runtime:RateLimits:Repositories:0:MaxConcurrent"] = "-3",
        }).Build();
        var ex = Assert.Throws<RateLimitConfigurationException>(() => RateLimitConfiguration.Read(config));
        Assert.Contains("runtime.rate_limits.repositories[0].max_concurrent", ex.Message);
    }

    [Fact]
    public void Registering_the_backends_validates_the_limits_and_binds_them()
    {
        var bad = WithLimits("per_repository:\n  executions_per_minute: -5");
        Assert.Throws<RateLimitConfigurationException>(() => new ServiceCollection().AddAofBackends(bad));

        var services = new ServiceCollection().AddLogging().AddAofBackends(FromYaml(Valid));
        using var sp = services.BuildServiceProvider();
        var options = sp.GetRequiredService<IOptions<AofOptions>>().Value;
        Assert.Equal(10, options.Runtime.RateLimits.Repositories.Single().ExecutionsPerMinute);
        Assert.True(sp.GetRequiredService<TenantRateLimiter>().Enabled);
    }

    [Fact]
    public async Task The_worker_refuses_to_start_with_an_invalid_limit_and_names_the_field()
    {
        var config = Path.Combine(_dir, "daemon.yaml");
        File.WriteAllText(config, "apiVersion: aof.dev/v1\nkind: DaemonConfig\nmetadata:\n  name: x\nspec:\n  queue:\n    type: memory\n" +
                                  "  runtime:\n    rate_limits:\n      per_repository:\n        executions_per_minute: -5\n");
        await using var worker = ServiceProcess.Start("Aof.Worker.dll", new Dictionary<string, string>(), "--config", config);

        Assert.Equal(1, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("runtime.rate_limits.per_repository.executions_per_minute", worker.Output);
        Assert.DoesNotContain("   at ", worker.Output);
    }
}

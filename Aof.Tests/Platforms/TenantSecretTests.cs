using System.Net;
using System.Text;
using Aof.Core.Configuration;
using Aof.Core.Resources.Loading;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Platforms.Slack;
using Aof.Tests.Resources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Aof.Gateway.Platforms.GitLab;
using Aof.Tests.Gateway;
using static Aof.Tests.Platforms.PlatformGateway;

namespace Aof.Tests.Platforms;

/// <summary>
/// Per-organization secrets (GitHub organizations, GitLab groups): each tenant is accepted only with its own
/// secret, an unknown tenant gets 404, and an empty secret variable stops the start naming the variable.
/// </summary>
public sealed class TenantSecretTests
{
    private const string AcmeSecret = "acme-secret";
    private const string GlobexSecret = "globex-secret";

    /// <summary>Unique variable names per test: tests run in parallel in one process.</summary>
    private static (string Acme, string Globex) SetSecrets()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var (acme, globex) = ($"AOF_TEST_ACME_{suffix}", $"AOF_TEST_GLOBEX_{suffix}");
        Environment.SetEnvironmentVariable(acme, AcmeSecret);
        Environment.SetEnvironmentVariable(globex, GlobexSecret);
        return (acme, globex);
    }

    private static Dictionary<string, string?> Tenants(string platform, string list, string acmeVar, string globexVar) => new()
    {
        [$"Aof:Platforms:{platform}:{list}:0:Name"] = "acme",
        [$"Aof:Platforms:{platform}:{list}:0:WebhookSecretEnv"] = acmeVar,
        [$"Aof:Platforms:{platform}:{list}:1:Name"] = "globex",
        [$"Aof:Platforms:{platform}:{list}:1:WebhookSecretEnv"] = globexVar,
    };

    private static string GitHubPush(string org) => $$$"""
        {"ref":"refs/heads/main","repository":{"full_name":"{{{org}}}/api","owner":{"login":"{{{org}}}"}},"organization":{"login":"{{{org}}}"},"sender":{"login":"alice"}}
        """;

    private const string GitHubTrigger = """
        apiVersion: aof.dev/v1
        kind: Trigger
        metadata:
          name: pushes
        spec:
          type: GitHub
          config:
            webhook_secret: trigger-level-secret-not-used-with-organizations
            github_events: [push]
          default_agent: reviewer
        """;

    [Fact]
    public async Task GitHub_organizations_are_each_accepted_only_with_their_own_secret()
    {
        var (acme, globex) = SetSecrets();
        using var app = new GatewayApp(GitHubTrigger, Tenants("GitHub", "Organizations", acme, globex));
        var client = app.CreateClient();

        async Task<HttpStatusCode> Send(string org, string secret) =>
            (await SendAsync(client, GatewayApp.Delivery("push", GitHubPush(org), secret: secret))).Status;

        Assert.Equal(HttpStatusCode.Accepted, await Send("acme", AcmeSecret));
        Assert.Equal(HttpStatusCode.Accepted, await Send("globex", GlobexSecret));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("acme", GlobexSecret));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("globex", AcmeSecret));
        // Not even the trigger's own secret is a fallback once organizations are configured.
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("acme", "trigger-level-secret-not-used-with-organizations"));
        Assert.Equal(HttpStatusCode.NotFound, await Send("initech", AcmeSecret));

        var envelopes = await TakeAllAsync(app);
        Assert.Equal(["acme", "globex"], envelopes.Select(e => e.Org ?? "").Order().ToArray());
    }

    [Fact]
    public async Task GitLab_groups_are_each_accepted_only_with_their_own_token()
    {
        var (acme, globex) = SetSecrets();
        var trigger = PlatformSenders.Trigger("mr-bot", "GitLab", "events: [merge_request]");
        using var app = new GatewayApp(trigger, Tenants("GitLab", "Groups", acme, globex));
        var client = app.CreateClient();

        async Task<HttpStatusCode> Send(string group, string token)
        {
            var body = Encoding.UTF8.GetBytes($$$"""{"object_kind":"merge_request","project":{"path_with_namespace":"{{{group}}}/sub/api"},"object_attributes":{"action":"open"}}""");
            var request = PlatformSenders.Request("gitlab", body, Guid.NewGuid().ToString(), Signing.MissingHeader);
            request.Headers.Add(GitLabWebhookPlatform.TokenHeader, token);
            return (await SendAsync(client, request)).Status;
        }

        Assert.Equal(HttpStatusCode.Accepted, await Send("acme", AcmeSecret));
        Assert.Equal(HttpStatusCode.Accepted, await Send("globex", GlobexSecret));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("acme", GlobexSecret));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("globex", AcmeSecret));
        Assert.Equal(HttpStatusCode.NotFound, await Send("initech", AcmeSecret));

        var envelopes = await TakeAllAsync(app);
        Assert.Equal(["acme/sub/api", "globex/sub/api"], envelopes.Select(e => e.Repo ?? "").Order().ToArray());
        Assert.All(envelopes, e => Assert.Equal("merge_request", e.EventType));
    }

    [Fact]
    public async Task Platform_wide_secret_from_the_environment_verifies_triggers_without_their_own()
    {
        var variable = "AOF_TEST_SLACK_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, PlatformSenders.Secret);
        var trigger = PlatformSenders.Trigger("slack-env", "Slack", "channels: [C1]");
        using var app = new GatewayApp(trigger, new() { ["Aof:Platforms:Slack:SigningSecretEnv"] = variable });
        var client = app.CreateClient();
        var body = Encoding.UTF8.GetBytes(PlatformSenders.Sample("slack", "Ev-env").Body);

        var good = await SendAsync(client, PlatformSenders.Request("slack", body, "Ev-env"));
        var bad = await SendAsync(client, PlatformSenders.Request("slack", body, "Ev-env", Signing.WrongSecret));

        Assert.Equal(HttpStatusCode.Accepted, good.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.Status);
    }

    // In-process, the host reports a start-up error and exits (PlatformStartupProcessTests sees the message on a
    // real process), so these tests check that the start is stopped, and the message where it is made.

    [Fact]
    public void Configured_platform_whose_secret_variable_is_empty_stops_the_start_naming_the_variable()
    {
        var variable = "AOF_TEST_EMPTY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, "");
        var settings = new Dictionary<string, string?> { ["Aof:Platforms:Slack:SigningSecretEnv"] = variable };
        using var app = new GatewayApp(PlatformSenders.Triggers, settings);

        Assert.ThrowsAny<Exception>(() => app.CreateClient());
        var ex = Assert.Throws<PlatformConfigurationException>(() => new PlatformCredentials(Config(settings)));
        Assert.Equal($"platforms.slack.signing_secret_env: environment variable {variable} is not set or empty", ex.Message);
    }

    [Fact]
    public void Organization_whose_secret_variable_is_unset_stops_the_start_naming_the_variable()
    {
        var (acme, _) = SetSecrets();
        var unset = "AOF_TEST_UNSET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var settings = Tenants("GitHub", "Organizations", acme, unset);
        using var app = new GatewayApp(GitHubTrigger, settings);

        Assert.ThrowsAny<Exception>(() => app.CreateClient());
        var ex = Assert.Throws<PlatformConfigurationException>(() => new PlatformCredentials(Config(settings)));
        Assert.Contains($"platforms.github.organizations[1].webhook_secret_env: environment variable {unset} is not set or empty", ex.Message);
    }

    [Fact]
    public void Trigger_without_a_secret_anywhere_stops_the_start_naming_the_trigger()
    {
        var trigger = PlatformSenders.Trigger("unsigned-slack", "Slack", "channels: [C1]");
        using var app = new GatewayApp(trigger);
        Assert.ThrowsAny<Exception>(() => app.CreateClient());

        using var tree = new TempTree();
        tree.Write("agents/a.yaml", ResourceYaml.Agent("reviewer"));
        tree.Write("triggers/t.yaml", trigger);
        var catalog = ResourceLoader.Load([tree.Root], TestEnv.Empty);
        var services = new PlatformServices(catalog, null!, Options.Create(new AofOptions()), new PlatformCredentials(Config([])), TimeProvider.System);
        var ex = Assert.Throws<PlatformConfigurationException>(() => new SlackWebhookPlatform(services).Validate());
        Assert.Equal("trigger 'unsigned-slack' (Slack) has no config.signing_secret, and platforms.slack.signing_secret_env is not set", ex.Message);
    }

    private static IConfiguration Config(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}

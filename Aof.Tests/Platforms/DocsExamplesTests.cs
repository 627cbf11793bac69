using Aof.Core.Configuration;
using Aof.Core.Resources.Loading;
using Aof.Gateway.Platforms.Common;
using Aof.Tests.Resources;
using Microsoft.Extensions.Configuration;

namespace Aof.Tests.Platforms;

/// <summary>The examples docs/platforms.md points to load as they are.</summary>
public sealed class DocsExamplesTests
{
    private static string ExamplesDir => Path.Combine(RepoRoot.Find(), "docs", "examples");

    private static string? AnyValue(string name) => name.EndsWith("DISCORD_PUBLIC_KEY", StringComparison.Ordinal)
        ? PlatformSenders.DiscordPublicKeyHex
        : name == "BILLING_WEBHOOK_SECRET" ? PlatformSenders.GenericSecret : "value-of-" + name;

    [Fact]
    public void Platform_trigger_examples_load_one_trigger_per_platform()
    {
        var catalog = ResourceLoader.Load([ExamplesDir], AnyValue);

        Assert.Equal(
            ["Bitbucket", "Discord", "Generic", "GitLab", "Jira", "Opsgenie", "PagerDuty", "Slack", "Telegram", "WhatsApp"],
            catalog.Triggers.Select(t => t.Type).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Platforms_daemon_example_reads_organizations_and_skips_the_disabled_platform()
    {
        var data = DaemonConfigFile.Read(Path.Combine(ExamplesDir, "daemon-platforms.yaml"), AnyValue);
        var config = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        // WHATSAPP_APP_SECRET is not set: the platform is disabled, so that is no error.
        var credentials = new PlatformCredentials(config, name => name.StartsWith("WHATSAPP", StringComparison.Ordinal) ? null : "value-of-" + name);

        Assert.Equal(["acme", "globex"], credentials.GitHubOrganizations.Select(o => o.Name).ToArray());
        Assert.Equal("value-of-ACME_GITHUB_WEBHOOK_SECRET", credentials.GitHubOrganizations[0].WebhookSecret);
        Assert.Equal("value-of-GLOBEX_GITHUB_TOKEN", credentials.GitHubOrganizations[1].Token);
        Assert.Equal("platform-team", Assert.Single(credentials.GitLabGroups).Name);
        Assert.Equal("value-of-SLACK_SIGNING_SECRET", credentials.PlatformSecret("slack", "signing_secret"));
        Assert.Null(credentials.PlatformSecret("whatsapp", "app_secret"));
    }
}

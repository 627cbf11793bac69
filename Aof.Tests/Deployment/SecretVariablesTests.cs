using Aof.AppHost.ResourceTree;
using Aof.Runtime.Agents;
using Aof.Runtime.Agents.Providers;
using Aof.Runtime.Flows.Nodes.Messaging;
using k8s.Models;

namespace Aof.Tests.Deployment;

/// <summary>
/// The secrets a resource tree makes the services read become parameters of the services that read them, so a
/// deployed worker gets its provider keys and reply tokens instead of starting without them.
/// </summary>
public sealed class SecretVariablesTests
{
    /// <summary>A resource tree with every source of a secret, and look-alikes that are none.</summary>
    private static TempFolder Tree()
    {
        var temp = new TempFolder();
        void Write(string relative, string text)
        {
            var path = Path.Combine(temp.Path, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        Write("daemon.yaml", """
            # A comment is not expanded: ${COMMENTED} is no variable.
            apiVersion: aof.dev/v1
            kind: DaemonConfig
            metadata: { name: d }
            spec:
              mode: ${AOF_MODE:-standalone}
              queue: { type: redis }
              platforms:
                slack:
                  signing_secret_env: SLACK_SIGNING_SECRET
                github:
                  organizations:
                    - name: acme
                      webhook_secret_env: ACME_WEBHOOK_SECRET
                      token_env: ACME_TOKEN
                gitlab:
                  enabled: false
                  webhook_secret_env: GITLAB_SECRET
            """);
        Write("triggers/github.yaml", """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata: { name: gh }
            spec:
              type: GitHub
              config:
                webhook_secret: ${GITHUB_WEBHOOK_SECRET}
            ---
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata: { name: slack-off }
            spec:
              type: Slack
              enabled: false
            """);
        Write("agents/agents.yaml", """
            apiVersion: aof.dev/v1
            kind: Agent
            metadata: { name: reviewer }
            spec:
              model: anthropic:claude-sonnet-4
              instructions: "Review ${event.repo}; write $${LITERAL} as it is"
            ---
            apiVersion: aof.dev/v1
            kind: Agent
            metadata: { name: plain }
            spec: { model: gpt-4o }
            ---
            apiVersion: aof.dev/v1
            kind: Agent
            metadata: { name: local }
            spec: { model: "ollama:llama3" }
            """);
        Write("fleets/fleet.yaml", """
            apiVersion: aof.dev/v1
            kind: AgentFleet
            metadata: { name: f }
            spec:
              agents:
                - name: g
                  spec: { model: flash, provider: gemini }
            """);
        Write("flows/notify.yaml", """
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata: { name: notify }
            spec:
              nodes:
                - id: tell
                  type: Slack
                  config: { channel: "#ops", message: "done" }
                - id: hook
                  type: Discord
                  config: { webhook_url: "https://discord.invalid/x", message: "done" }
              connections: [{ from: tell, to: hook }]
            """);
        Write(".hidden/secret.yaml", "kind: Agent\nspec: { model: ${HIDDEN} }\n");
        return temp;
    }

    [Fact]
    public void Finds_every_secret_the_tree_makes_a_service_read_and_nothing_else()
    {
        using var tree = Tree();
        var found = SecretVariables.Find(Path.Combine(tree.Path, "daemon.yaml"));

        Assert.Equal(
            [
                ("ACME_TOKEN", SecretReaders.Both, true),
                ("ACME_WEBHOOK_SECRET", SecretReaders.Gateway, true),
                ("ANTHROPIC_API_KEY", SecretReaders.Worker, true),
                ("GITHUB_TOKEN", SecretReaders.Worker, false),
                ("GITHUB_WEBHOOK_SECRET", SecretReaders.Both, true),
                ("GOOGLE_API_KEY", SecretReaders.Worker, true),
                ("OPENAI_API_KEY", SecretReaders.Worker, true),
                ("SLACK_BOT_TOKEN", SecretReaders.Worker, true),
                ("SLACK_SIGNING_SECRET", SecretReaders.Gateway, true),
            ],
            found.Select(v => (v.Name, v.ReadBy, v.Required)).ToArray());
        Assert.Equal("model 'anthropic:claude-sonnet-4' in agents/agents.yaml", found.Single(v => v.Name == "ANTHROPIC_API_KEY").Reason);
        Assert.Equal("openai-api-key", found.Single(v => v.Name == "OPENAI_API_KEY").ParameterName);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("azure")]
    [InlineData("azure_openai")]
    [InlineData("openai_compatible")]
    [InlineData("anthropic")]
    [InlineData("claude")]
    [InlineData("ollama")]
    [InlineData("google")]
    [InlineData("gemini")]
    [InlineData("Gemini")]
    [InlineData("mistral")]
    public void Providers_and_their_key_variables_are_the_runtimes(string written)
    {
        var provider = ModelProviders.Normalize(written);
        Assert.Equal(provider, SecretVariables.ProviderOf($"{written}:some-model", null));
        Assert.Equal(provider, SecretVariables.ProviderOf("some-model", written));
        if (provider is null) return;

        var runtimeKey = new ProviderOptions { Environment = _ => null }.Resolve(provider).KeyVariable;
        Assert.Equal(runtimeKey, SecretVariables.ProviderKeyVariables.GetValueOrDefault(provider));
    }

    [Fact]
    public void Node_and_reply_variables_are_the_runtimes()
    {
        Assert.Equal(SlackNode.TokenVariable, SecretVariables.SlackTokenVariable);
        Assert.Equal(DiscordNode.WebhookVariable, SecretVariables.DiscordWebhookVariable);
        Assert.Equal("openai", SecretVariables.ProviderOf("${MODEL:-openai:gpt-4o}", null));
        Assert.Equal("openai", SecretVariables.ProviderOf("gpt-4o", null));
    }

    [Fact]
    public async Task Deployed_services_get_the_secrets_they_read_from_the_secret_optional_ones_marked_optional()
    {
        using var tree = Tree();
        using var temp = new TempFolder();
        var output = Path.Combine(temp.Path, "k8s");
        var result = await Publish.RunAsync(["--publisher", "kubernetes", "--examples", tree.Path, "--output-path", output]);
        Assert.True(result.ExitCode == 0, result.Output);
        var objects = new List<object>();
        foreach (var file in Directory.EnumerateFiles(output, "*.yaml", SearchOption.AllDirectories))
            objects.AddRange(KubernetesTests.ParseStrict(await File.ReadAllTextAsync(file)));

        Dictionary<string, V1SecretKeySelector> SecretEnv(string deployment) =>
            objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == deployment).Spec.Template.Spec.Containers.Single().Env
                .Where(e => e.ValueFrom?.SecretKeyRef is not null)
                .ToDictionary(e => e.Name, e => e.ValueFrom.SecretKeyRef);

        var worker = SecretEnv("worker");
        var gateway = SecretEnv("gateway");
        Assert.Equal("openai-api-key", worker["OPENAI_API_KEY"].Key);
        Assert.Null(worker["OPENAI_API_KEY"].Optional);
        Assert.True(worker["GITHUB_TOKEN"].Optional);
        Assert.Equal("acme-token", worker["ACME_TOKEN"].Key);
        Assert.Equal("acme-token", gateway["ACME_TOKEN"].Key);
        Assert.Equal("slack-signing-secret", gateway["SLACK_SIGNING_SECRET"].Key);
        Assert.False(gateway.ContainsKey("OPENAI_API_KEY"));
        Assert.False(worker.ContainsKey("SLACK_SIGNING_SECRET"));
        // Given once, as the model's own parameter.
        Assert.Equal("github-webhook-secret", worker["GITHUB_WEBHOOK_SECRET"].Key);

        var secret = objects.OfType<V1Secret>().Single();
        Assert.Superset(new HashSet<string> { "openai-api-key", "anthropic-api-key", "google-api-key", "github-token", "slack-bot-token", "acme-token" },
            secret.StringData.Keys.ToHashSet());
        Assert.DoesNotContain("github-webhook-secret-env", secret.StringData.Keys);
    }

    [Fact]
    public async Task An_optional_secret_is_an_azd_parameter_with_an_empty_default_and_the_worker_reads_it()
    {
        using var temp = new TempFolder();
        var file = Path.Combine(temp.Path, "aspire-manifest.json");
        var result = await Publish.RunAsync(["--publisher", "manifest", "--output-path", file]);
        Assert.True(result.ExitCode == 0, result.Output);
        var resources = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file))!["resources"]!;

        // examples/ has a GitHub trigger: replies need GITHUB_TOKEN, and without it the worker posts none.
        var input = resources["github-token"]!["inputs"]!["value"]!;
        Assert.True((bool)input["secret"]!);
        Assert.Equal("", (string)input["default"]!["value"]!);
        Assert.Equal("{github-token.value}", (string)resources["worker"]!["env"]!["GITHUB_TOKEN"]!);
        Assert.Null(resources["gateway"]!["env"]!["GITHUB_TOKEN"]);
    }
}

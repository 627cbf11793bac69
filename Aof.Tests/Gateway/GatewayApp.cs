extern alias gateway;

using System.Net.Http.Headers;
using System.Text;
using Aof.Core.Queue;
using Aof.Gateway.Platforms.GitHub;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Aof.Tests.Gateway;

/// <summary>
/// The real gateway host (Program) in gateway mode with the in-memory backend, over a temp resources
/// directory written here. Gateway mode: no in-process worker takes messages off the queue, so tests can
/// look at exactly what was published.
/// </summary>
public sealed class GatewayApp : WebApplicationFactory<gateway::Program>
{
    public const string Secret = "test-secret";
    public const string OtherSecret = "other-secret";
    public const long MaxBodyBytes = 64 * 1024;

    public const string DefaultTriggers = """
        apiVersion: aof.dev/v1
        kind: Trigger
        metadata:
          name: pr-bot
        spec:
          type: GitHub
          config:
            webhook_secret: test-secret
            github_events: [pull_request, issue_comment, push]
          commands:
            pull_request.opened:
              agent: reviewer
            /review:
              agent: reviewer
        ---
        apiVersion: aof.dev/v1
        kind: Trigger
        metadata:
          name: other-bot
        spec:
          type: GitHub
          config:
            webhook_secret: other-secret
            github_events: [pull_request]
          commands:
            pull_request.opened:
              agent: reviewer
        """;

    private const string Agents = """
        apiVersion: aof.dev/v1
        kind: Agent
        metadata:
          name: reviewer
        spec:
          model: google:gemini-2.5-flash
          instructions: Review the change.
        """;

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public string ResourcesDir { get; }

    public GatewayApp(string? triggers = null, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        ResourcesDir = Path.Combine(Path.GetTempPath(), "aof-gw-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(ResourcesDir, "triggers"));
        Directory.CreateDirectory(Path.Combine(ResourcesDir, "agents"));
        File.WriteAllText(Path.Combine(ResourcesDir, "triggers", "github.yaml"), triggers ?? DefaultTriggers);
        File.WriteAllText(Path.Combine(ResourcesDir, "agents", "reviewer.yaml"), Agents);

        _settings = new Dictionary<string, string?>
        {
            ["Aof:Mode"] = "gateway",
            ["Aof:Queue:Type"] = "memory",
            ["Aof:ResourcesDirectory"] = ResourcesDir,
            ["Aof:Gateway:MaxBodyBytes"] = MaxBodyBytes.ToString(),
            ["Aof:Gateway:AckTimeoutMs"] = "500",
            ["Aof:Gateway:RetryAfterSecs"] = "7",
            ["Aof:Queue:MaxRetries"] = "4",
        };
        foreach (var (k, v) in settings ?? []) _settings[k] = v;
        _services = services;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        if (_services is not null) builder.ConfigureTestServices(_services);
    }

    public IMessageQueue Queue => Services.GetRequiredService<IMessageQueue>();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try { Directory.Delete(ResourcesDir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A GitHub-style delivery: JSON body, event + delivery headers, signed with <paramref name="secret"/>.</summary>
    public static HttpRequestMessage Delivery(string eventType, string json, string? deliveryId = null, string? secret = Secret)
        => SignedRequest("/webhook/github", Encoding.UTF8.GetBytes(json), "application/json", eventType, deliveryId ?? Guid.NewGuid().ToString(), secret);

    public static HttpRequestMessage SignedRequest(string path, byte[] body, string contentType, string? eventType, string? deliveryId, string? secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (eventType is not null) request.Headers.Add("X-GitHub-Event", eventType);
        if (deliveryId is not null) request.Headers.Add("X-GitHub-Delivery", deliveryId);
        if (secret is not null) request.Headers.Add("X-Hub-Signature-256", GitHubSignature.Compute(body, secret));
        return request;
    }

    public const string PullRequestOpened = """
        {"action":"opened","number":1,
         "pull_request":{"base":{"ref":"main"},"head":{"ref":"feature"}},
         "repository":{"full_name":"acme/api","owner":{"login":"acme"}},
         "organization":{"login":"acme"},
         "sender":{"login":"alice"}}
        """;

    public const string PullRequestClosed = """
        {"action":"closed","number":1,
         "pull_request":{"base":{"ref":"main"}},
         "repository":{"full_name":"acme/api","owner":{"login":"acme"}},
         "sender":{"login":"alice"}}
        """;

    public const string ReviewComment = """
        {"action":"created","issue":{"number":1},
         "comment":{"body":"/review please"},
         "repository":{"full_name":"acme/api","owner":{"login":"acme"}},
         "sender":{"login":"carol"}}
        """;
}

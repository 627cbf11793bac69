using Aof.Core.Resources;
using Aof.Core.Resources.Loading;
using Aof.Runtime.Agents;
using Aof.Runtime.Agents.Providers;
using Aof.Runtime.Fleets;
using Aof.Runtime.Replies;
using Aof.Runtime.Safety;
using Aof.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aof.Tests.Agents;

/// <summary>
/// Agents and fleets loaded from YAML (through the real resource loader) with their executors, wired to stub
/// servers through the same environment variables a deployment sets (OPENAI_BASE_URL, GITHUB_API_URL...).
/// </summary>
internal sealed class AgentHarness : IDisposable
{
    private readonly string _dir;
    private readonly ChatClientFactory _clients;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public AgentHarness(string yaml, IReadOnlyDictionary<string, string> env, ReplyOptions? replies = null, int providerRetries = 2)
    {
        _dir = Path.Combine(Path.GetTempPath(), "aof-agents-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "resources.yaml"), yaml);
        Catalog = ResourceLoader.Load([_dir], _ => null);
        Agents = AgentCatalog.Build(Catalog);

        Redactor = new SecretRedactor(env.Where(kv => SecretRedactor.IsSecretName(kv.Key)).Select(kv => kv.Value));
        Providers = new ProviderOptions
        {
            Environment = name => env.TryGetValue(name, out var v) ? v : null,
            MaxRetries = providerRetries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            RetryMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        _clients = new ChatClientFactory(Providers);
        Runner = new AgentRunner(_clients, Redactor, _http, NullLoggerFactory.Instance);
        Replies = replies ?? new ReplyOptions { Enabled = false };
        var sender = new ReplySender(Replies, new GitHubReplier(Replies), new SlackReplier(Replies, _http), Redactor, NullLogger<ReplySender>.Instance);
        AgentExecutor = new AgentTargetExecutor(Agents, Runner, sender, Redactor, NullLogger<AgentTargetExecutor>.Instance);
        Fleets = new FleetRunner(Agents, Runner);
        FleetExecutor = new FleetTargetExecutor(Agents, Fleets, sender, Redactor);
    }

    public ResourceCatalog Catalog { get; }
    public AgentCatalog Agents { get; }
    public SecretRedactor Redactor { get; }
    public ProviderOptions Providers { get; }
    public ReplyOptions Replies { get; }
    public AgentRunner Runner { get; }
    public FleetRunner Fleets { get; }
    public AgentTargetExecutor AgentExecutor { get; }
    public FleetTargetExecutor FleetExecutor { get; }

    public const string OpenAiKey = "sk-test-0123456789abcdef0123";

    public static Dictionary<string, string> OpenAiEnv(string llmUrl) => new()
    {
        ["OPENAI_API_KEY"] = OpenAiKey,
        ["OPENAI_BASE_URL"] = llmUrl + "v1",
    };

    /// <summary>Catalog errors of a YAML tree, as the worker would report them at start.</summary>
    public static ResourceLoadException LoadErrors(string yaml)
    {
        var dir = Path.Combine(Path.GetTempPath(), "aof-agents-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "resources.yaml"), yaml);
            return Assert.Throws<ResourceLoadException>(() => AgentCatalog.Build(ResourceLoader.Load([dir], _ => null)));
        }
        finally
        {
            LocalProcesses.DeleteDirectory(dir);
        }
    }

    public void Dispose()
    {
        _clients.Dispose();
        _http.Dispose();
        LocalProcesses.DeleteDirectory(_dir);
    }
}

using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Aof.AppHost.ResourceTree;

/// <summary>Which service reads a variable.</summary>
[Flags]
public enum SecretReaders
{
    Gateway = 1,
    Worker = 2,
    Both = Gateway | Worker,
}

/// <summary>
/// An environment variable a service reads a secret from. <see cref="Required"/>: the service cannot do what the
/// resource tree asks without it (a deployment asks for it); otherwise it only loses a feature (no replies).
/// </summary>
public sealed record SecretVariable(string Name, SecretReaders ReadBy, bool Required, string Reason)
{
    /// <summary>The deployment parameter that carries it: OPENAI_API_KEY -> openai-api-key.</summary>
    public string ParameterName => Name.ToLowerInvariant().Replace('_', '-');
}

/// <summary>
/// The secrets a resource tree makes the services read from their environment, found in the DaemonConfig folder so the
/// app model can hand each one to the services that read it (locally from the AppHost's environment, deployed as a
/// secret parameter) instead of deploying services that start without them:
/// <list type="bullet">
/// <item><c>${NAME}</c> without a default in any file (both services load the whole tree and expand it);</item>
/// <item><c>platforms.*.*_env</c> of the DaemonConfig (the gateway checks every one at start; an organization's
///   <c>token_env</c> is also the worker's, for replies);</item>
/// <item>the API key of every model provider an agent names (<c>model: provider:model</c>, or <c>provider</c>);</item>
/// <item>the tokens of Slack and Discord flow nodes that do not set their own;</item>
/// <item>the reply tokens of the platforms with triggers (optional: without one, no reply is posted).</item>
/// </list>
/// What each variable means to the services is theirs (Aof.Runtime's ProviderOptions, ReplyOptions and nodes, the
/// gateway's PlatformCredentials); the names here follow them, and a test holds the two together.
/// </summary>
public static partial class SecretVariables
{
    /// <summary>Model provider (as Aof.Runtime's ModelProviders normalizes it) -> the variable its API key is read from.</summary>
    public static IReadOnlyDictionary<string, string> ProviderKeyVariables { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["openai"] = "OPENAI_API_KEY",
        ["anthropic"] = "ANTHROPIC_API_KEY",
        ["google"] = "GOOGLE_API_KEY",
    };

    public const string GitHubTokenVariable = "GITHUB_TOKEN";
    public const string SlackTokenVariable = "SLACK_BOT_TOKEN";
    public const string DiscordWebhookVariable = "DISCORD_WEBHOOK_URL";

    // The services' ${NAME} / ${NAME:-default} / $${ (Aof.Core's EnvironmentExpander): identifier names only.
    [GeneratedRegex(@"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    /// <summary>The variables of the tree whose DaemonConfig is <paramref name="daemonConfig"/>, sorted by name.</summary>
    public static IReadOnlyList<SecretVariable> Find(string daemonConfig)
    {
        var found = new Dictionary<string, SecretVariable>(StringComparer.Ordinal);
        void Add(string name, SecretReaders readBy, bool required, string reason)
        {
            found[name] = found.TryGetValue(name, out var known)
                ? known with { ReadBy = known.ReadBy | readBy, Required = known.Required || required }
                : new SecretVariable(name, readBy, required, reason);
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(daemonConfig))!;
        foreach (var (file, text) in ResourceFolder.Read(folder))
        {
            foreach (var document in Documents(text))
            {
                // Values are expanded when a service loads the file (comments are not).
                foreach (var value in Scalars(document.RootNode))
                {
                    foreach (Match m in Reference().Matches(value))
                    {
                        if (m.Groups[1].Success && !m.Groups[2].Success) Add(m.Groups[1].Value, SecretReaders.Both, true, $"${{{m.Groups[1].Value}}} in {file}");
                    }
                }
                if (document.RootNode is not YamlMappingNode root) continue;
                var spec = Child(root, "spec") as YamlMappingNode;
                switch (Scalar(root, "kind"))
                {
                    case "DaemonConfig" when spec is not null:
                        PlatformVariables(spec, file, Add);
                        break;
                    case "Agent" or "AgentFleet" or "AgentFlow":
                        foreach (var mapping in root.AllNodes.OfType<YamlMappingNode>()) ResourceVariables(mapping, file, Add);
                        break;
                    case "Trigger" when spec is not null && Scalar(spec, "enabled") is not "false":
                        TriggerVariables(Scalar(spec, "type"), file, Add);
                        break;
                }
            }
        }
        return found.Values.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
    }

    private delegate void Adder(string name, SecretReaders readBy, bool required, string reason);

    private static void PlatformVariables(YamlMappingNode spec, string file, Adder add)
    {
        if (Child(spec, "platforms") is not YamlMappingNode platforms) return;
        foreach (var (key, platform) in platforms.Children)
        {
            if (platform is not YamlMappingNode map || Scalar(map, "enabled") is "false") continue;
            Walk(map, $"platforms.{key}");
        }

        void Walk(YamlNode node, string path)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (k, child) in map.Children)
                    {
                        var name = ((YamlScalarNode)k).Value ?? "";
                        if (child is YamlScalarNode { Value: { Length: > 0 } variable } && name.EndsWith("_env", StringComparison.Ordinal))
                        {
                            // The gateway checks every *_env at start; an organization's token is the worker's for replies.
                            add(variable.Trim(), name == "token_env" ? SecretReaders.Both : SecretReaders.Gateway, true, $"{path}.{name} in {file}");
                        }
                        else Walk(child, $"{path}.{name}");
                    }
                    break;
                case YamlSequenceNode list:
                    for (var i = 0; i < list.Children.Count; i++) Walk(list.Children[i], $"{path}[{i}]");
                    break;
            }
        }
    }

    // Any mapping of an Agent, AgentFleet or AgentFlow document: an agent's model (also inline in fleets and flow
    // nodes), or a Slack / Discord node.
    private static void ResourceVariables(YamlMappingNode mapping, string file, Adder add)
    {
        if (Scalar(mapping, "model") is { } model && ProviderOf(model, Scalar(mapping, "provider")) is { } provider &&
            ProviderKeyVariables.TryGetValue(provider, out var keyVariable))
        {
            add(keyVariable, SecretReaders.Worker, true, $"model '{model}' in {file}");
        }

        var config = Child(mapping, "config") as YamlMappingNode;
        switch (Scalar(mapping, "type")?.ToLowerInvariant())
        {
            case "slack" when config is null || Scalar(config, "token") is null:
                add(SlackTokenVariable, SecretReaders.Worker, true, $"a Slack node in {file}");
                break;
            case "discord" when config is null || Scalar(config, "webhook_url") is null:
                add(DiscordWebhookVariable, SecretReaders.Worker, true, $"a Discord node in {file}");
                break;
        }
    }

    private static void TriggerVariables(string? type, string file, Adder add)
    {
        switch (type?.ToLowerInvariant())
        {
            case "github":
                add(GitHubTokenVariable, SecretReaders.Worker, false, $"replies to the GitHub trigger in {file}");
                break;
            case "slack":
                add(SlackTokenVariable, SecretReaders.Worker, false, $"replies to the Slack trigger in {file}");
                break;
        }
    }

    /// <summary>
    /// The provider a model names, as the runtime reads it: <c>provider:model</c>, else the <c>provider</c> field, else
    /// openai. <c>${NAME:-default}</c> counts as its default (a variable chooses among providers only at run time).
    /// </summary>
    public static string? ProviderOf(string model, string? provider)
    {
        model = Reference().Replace(model, m => m.Groups[2].Success ? m.Groups[2].Value[2..] : "");
        var colon = model.IndexOf(':');
        var name = (colon > 0 ? model[..colon] : provider ?? "openai").Trim().ToLowerInvariant();
        return name switch
        {
            "openai" or "azure" or "azure_openai" or "openai_compatible" => "openai",
            "anthropic" or "claude" => "anthropic",
            "google" or "gemini" => "google",
            "ollama" => "ollama",
            _ => null,
        };
    }

    private static List<YamlDocument> Documents(string text)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return []; // the services report a file they cannot read, with its line; nothing to find here
        }
        return yaml.Documents.ToList();
    }

    // Values only: AllNodes would include the keys, which the services do not expand.
    private static IEnumerable<string> Scalars(YamlNode node) => node switch
    {
        YamlScalarNode { Value: { } value } => [value],
        YamlMappingNode map => map.Children.Values.SelectMany(Scalars),
        YamlSequenceNode list => list.Children.SelectMany(Scalars),
        _ => [],
    };

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlMappingNode map, string key) =>
        Child(map, key) is YamlScalarNode { Value: { Length: > 0 } value } ? value.Trim() : null;
}

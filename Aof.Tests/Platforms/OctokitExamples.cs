using System.Text.Json;

namespace Aof.Tests.Platforms;

/// <summary>One example delivery from @octokit/webhooks-examples: the event name and the payload.</summary>
public sealed record OctokitExample(string EventName, int Index, JsonElement Payload)
{
    public override string ToString() => $"{EventName}[{Index}]";
}

/// <summary>
/// Finds and reads the npm package @octokit/webhooks-examples (real payloads of every GitHub event), which
/// .ci/run installs into the git-ignored .ci/webhooks-examples; AOF_WEBHOOK_EXAMPLES may name index.json instead.
/// </summary>
public static class OctokitExamples
{
    public const string Version = "7.6.1";
    private const string RelativeIndex = ".ci/webhooks-examples/node_modules/@octokit/webhooks-examples/api.github.com/index.json";

    public static IReadOnlyList<OctokitExample> Load()
    {
        var path = Locate() ?? throw new Xunit.Sdk.XunitException(
            $"@octokit/webhooks-examples not found: run .ci/run, or `npm install --prefix .ci/webhooks-examples --no-save @octokit/webhooks-examples@{Version}` " +
            "in the repository root, or set AOF_WEBHOOK_EXAMPLES to its api.github.com/index.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var examples = new List<OctokitExample>();
        foreach (var webhook in doc.RootElement.EnumerateArray())
        {
            var name = webhook.GetProperty("name").GetString()!;
            var i = 0;
            foreach (var example in webhook.GetProperty("examples").EnumerateArray())
                examples.Add(new OctokitExample(name, i++, example.Clone()));
        }
        return examples;
    }

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("AOF_WEBHOOK_EXAMPLES") is { Length: > 0 } explicitPath && File.Exists(explicitPath))
            return explicitPath;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativeIndex);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

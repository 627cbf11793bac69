namespace Aof.Tests.EndToEnd;

/// <summary>
/// A resource tree for end-to-end runs, written to a temp folder: a GitHub trigger whose
/// <c>pull_request.opened</c> runs a Script flow that succeeds, <c>/fail</c> a Script flow that exits 3,
/// and <c>/slow</c> a Script flow that sleeps (for drain tests).
/// </summary>
public sealed class PipelineResources : IDisposable
{
    public const string Secret = "e2e-secret";

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "aof-e2e-" + Guid.NewGuid().ToString("N"));

    public PipelineResources(double slowSeconds = 2)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, "trigger.yaml"), $"""
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata:
              name: e2e-github
            spec:
              type: GitHub
              config:
                webhook_secret: {Secret}
                github_events: [pull_request, issue_comment]
              commands:
                pull_request.opened:
                  flow: e2e-hello
                /fail:
                  flow: e2e-fails
                /slow:
                  flow: e2e-slow
            """);
        File.WriteAllText(Path.Combine(Directory, "flows.yaml"), $$"""
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata:
              name: e2e-hello
            spec:
              nodes:
                - id: hello
                  type: Script
                  config:
                    script_config:
                      command: echo "hello $AOF_REPO from $AOF_SENDER, attempt $AOF_ATTEMPT"
                      timeout_seconds: 20
                - id: done
                  type: End
                  config:
                    message: ${hello.output}
              connections:
                - from: start
                  to: hello
                - from: hello
                  to: done
            ---
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata:
              name: e2e-fails
            spec:
              nodes:
                - id: boom
                  type: Script
                  config:
                    script_config:
                      command: echo "cannot do $AOF_ARGS" >&2; exit 3
              connections:
                - from: start
                  to: boom
            ---
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata:
              name: e2e-slow
            spec:
              nodes:
                - id: nap
                  type: Script
                  config:
                    script_config:
                      command: sleep {{slowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}; echo rested
                      timeout_seconds: 60
              connections:
                - from: start
                  to: nap
            """);
    }

    public const string PullRequestOpened = """
        {"action":"opened","number":42,
         "pull_request":{"number":42,"title":"Add retries","base":{"ref":"main"},"head":{"ref":"feature"}},
         "repository":{"full_name":"acme/api","owner":{"login":"acme"}},
         "organization":{"login":"acme"},
         "sender":{"login":"alice"}}
        """;

    public static string Comment(string body) => $$$"""
        {"action":"created","issue":{"number":7},
         "comment":{"body":"{{{body}}}"},
         "repository":{"full_name":"acme/api","owner":{"login":"acme"}},
         "sender":{"login":"carol"}}
        """;

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

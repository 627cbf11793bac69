namespace Aof.Tests.Resources;

/// <summary>Small valid documents to build test trees from.</summary>
public static class ResourceYaml
{
    public static string Flow(string name, string nodeType = "Script") => $"""
        apiVersion: aof.dev/v1
        kind: AgentFlow
        metadata:
          name: {name}
        spec:
          nodes:
            - id: step
              type: {nodeType}
              config:
                script_config:
                  command: echo hi
            - id: done
              type: End
          connections:
            - from: start
              to: step
            - from: step
              to: done
        """;

    public static string Agent(string name) => $"""
        apiVersion: aof.dev/v1
        kind: Agent
        metadata:
          name: {name}
        spec:
          model: openai:gpt-4o
          instructions: Be brief.
          tools:
            - shell
            - name: kubectl
        """;

    public static string GitHubTrigger(string name, string flow, string secret = "s3cret") => $"""
        apiVersion: aof.dev/v1
        kind: Trigger
        metadata:
          name: {name}
        spec:
          type: GitHub
          config:
            webhook_secret: {secret}
          commands:
            pull_request.opened:
              flow: {flow}
        """;
}

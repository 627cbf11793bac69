using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Resources;
using Aof.Core.Resources.Loading;

namespace Aof.Tests.Resources;

public sealed class ResourceLoaderTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private ResourceCatalog Load(Func<string, string?>? env = null) => ResourceLoader.Load([_tree.Root], env ?? TestEnv.Empty);

    private ResourceLoadException LoadFails(Func<string, string?>? env = null) =>
        Assert.Throws<ResourceLoadException>(() => Load(env));

    private static ResourceError AssertError(ResourceLoadException ex, string file, int? document, string? field, string messagePart)
    {
        var match = ex.Errors.FirstOrDefault(e =>
            e.File.EndsWith(file, StringComparison.Ordinal) && e.Document == document && e.Field == field &&
            e.Message.Contains(messagePart, StringComparison.Ordinal));
        Assert.True(match is not null, $"expected error {file} doc {document} {field}: '{messagePart}' in:{Environment.NewLine}{ex.Message}");
        Assert.Contains(match!.ToString(), ex.Message);
        return match;
    }

    [Fact]
    public void Loads_a_valid_tree_with_multi_document_files_in_sorted_order()
    {
        _tree.Write("flows/b.yaml", ResourceYaml.Flow("flow-b") + "\n---\n" + ResourceYaml.Flow("flow-c"));
        _tree.Write("flows/a.yml", ResourceYaml.Flow("flow-a"));
        _tree.Write("agents/agent.yaml", ResourceYaml.Agent("helper"));
        _tree.Write("triggers/z.yaml", ResourceYaml.GitHubTrigger("t-z", "flow-a"));
        _tree.Write("triggers/a.yaml", ResourceYaml.GitHubTrigger("t-a", "flow-b") + "\n---\n# an empty document\n---\n" + ResourceYaml.GitHubTrigger("t-b", "flow-c"));
        _tree.Write("notes.txt", "not yaml: [");

        var catalog = Load();

        Assert.Equal(["flow-a", "flow-b", "flow-c"], catalog.Flows.Keys.Order());
        Assert.Equal(["t-a", "t-b", "t-z"], catalog.Triggers.Select(t => t.Name));
        Assert.Equal(3, catalog.Triggers[1].Source.Document);
        Assert.EndsWith("triggers/a.yaml", catalog.Triggers[1].Source.File);

        var flow = catalog.Flows["flow-c"];
        Assert.Equal(2, flow.Source.Document);
        Assert.Equal(["step", "done"], flow.Nodes.Select(n => n.Id));
        Assert.Equal("Script", flow.Nodes[0].Type);
        Assert.Equal("echo hi", flow.Nodes[0].Config["script_config"]!["command"]!.GetValue<string>());
        Assert.Equal([new FlowConnection("start", "step", null), new FlowConnection("step", "done", null)], flow.Connections);

        var agent = catalog.Agents["helper"];
        Assert.Equal("openai:gpt-4o", agent.Model);
        Assert.Equal("Be brief.", agent.Instructions);
        Assert.Equal(["shell", "kubectl"], agent.Tools);

        var trigger = catalog.Triggers[0];
        Assert.Equal("GitHub", trigger.Type);
        Assert.True(trigger.Enabled);
        Assert.Equal(Priority.Normal, trigger.Priority);
        Assert.Equal("s3cret", trigger.GitHub!.WebhookSecret);
        Assert.Equal(new EventTarget(TargetKind.Flow, "flow-b"), trigger.Commands["pull_request.opened"].Target);
    }

    [Fact]
    public void Reads_trigger_filters_priorities_and_connection_conditions()
    {
        _tree.Write("flow.yaml", """
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata: { name: f, labels: { team: ops, tier: 1 } }
            spec:
              nodes:
                - { id: check, type: conditional, config: { expression: "x" } }
                - { id: yes, type: End }
                - { id: no, type: End }
              connections:
                - { from: start, to: check }
                - { from: check, to: yes, when: "true" }
                - { from: check, to: no, condition: otherwise }
            """);
        _tree.Write("agent.yaml", ResourceYaml.Agent("devops"));
        _tree.Write("fleet.yaml", "apiVersion: aof.dev/v1\nkind: AgentFleet\nmetadata: { name: rca }\nspec: { agents: [] }\n");
        _tree.Write("trigger.yaml", """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata: { name: gh }
            spec:
              type: github
              enabled: false
              priority: high
              default_agent: devops
              config:
                webhook_secret: abc
                github_events: [pull_request, push]
                repositories: ["acme/*", acme/api]
                branches: ["release/*"]
              commands:
                /review: { agent: devops, description: Review it, priority: low }
                /rca: { fleet: rca }
                push: { flow: f }
            """);

        var catalog = Load();

        var flow = catalog.Flows["f"];
        Assert.Equal("Conditional", flow.Nodes[0].Type);
        Assert.Equal("1", flow.Metadata.Labels["tier"]);
        Assert.Equal("true", flow.Connections[1].When);
        Assert.Equal("otherwise", flow.Connections[2].When);

        var t = Assert.Single(catalog.Triggers);
        Assert.False(t.Enabled);
        Assert.Equal(Priority.High, t.Priority);
        Assert.Equal("devops", t.DefaultAgent);
        Assert.Equal(["pull_request", "push"], t.GitHub!.Events);
        Assert.Equal(["acme/*", "acme/api"], t.GitHub.Repositories);
        Assert.Equal(["release/*"], t.GitHub.Branches);
        Assert.Equal(new CommandBinding(new EventTarget(TargetKind.Agent, "devops"), "Review it", Priority.Low), t.Commands["/review"]);
        Assert.Equal(new EventTarget(TargetKind.Fleet, "rca"), t.Commands["/RCA"].Target);
        Assert.Null(t.Commands["push"].Priority);
    }

    [Fact]
    public void Expands_environment_variables_with_defaults_and_leaves_other_dollars_alone()
    {
        _tree.Write("flow.yaml", """
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata:
              name: ${FLOW_NAME}
            spec:
              description: "${GREETING:-hello} / ${EMPTY:-fallback} / [${UNSET}]"
              nodes:
                - id: s
                  type: Script
                  config:
                    port: ${PORT}
                    quoted_port: "${PORT}"
                    on: ${ENABLED:-true}
                    runtime: echo $AOF_REPO ${event.text} ${node-1.output} $${LITERAL}
              connections:
                - { from: start, to: s }
            """);

        var catalog = Load(TestEnv.Of(("FLOW_NAME", "env-flow"), ("PORT", "8080"), ("EMPTY", "")));

        var flow = catalog.Flows["env-flow"];
        Assert.Equal("hello / fallback / []", flow.Description);
        var config = flow.Nodes[0].Config;
        Assert.Equal(JsonValueKind.Number, config["port"]!.GetValueKind());
        Assert.Equal(8080, config["port"]!.GetValue<long>());
        Assert.Equal("8080", config["quoted_port"]!.GetValue<string>());
        Assert.True(config["on"]!.GetValue<bool>());
        Assert.Equal("echo $AOF_REPO ${event.text} ${node-1.output} ${LITERAL}", config["runtime"]!.GetValue<string>());
    }

    [Fact]
    public void Types_plain_scalars_and_keeps_quoted_ones_as_strings()
    {
        _tree.Write("flow.yaml", """
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata: { name: typed }
            spec:
              nodes:
                - id: s
                  type: Transform
                  config:
                    int: 42
                    neg: -7
                    float: 1.5
                    yes_bool: true
                    no_bool: False
                    nothing: ~
                    empty:
                    word: yes
                    quoted_int: "42"
                    single: 'true'
                    version: 1.20
                    block: |
                      12
              connections: [ { from: start, to: s } ]
            """);

        var c = Load().Flows["typed"].Nodes[0].Config;

        Assert.Equal(42, c["int"]!.GetValue<long>());
        Assert.Equal(-7, c["neg"]!.GetValue<long>());
        Assert.Equal(1.5, c["float"]!.GetValue<double>());
        Assert.True(c["yes_bool"]!.GetValue<bool>());
        Assert.False(c["no_bool"]!.GetValue<bool>());
        Assert.True(c.ContainsKey("nothing"));
        Assert.Null(c["nothing"]);
        Assert.Null(c["empty"]);
        Assert.Equal("yes", c["word"]!.GetValue<string>()); // YAML 1.2: yes is a string
        Assert.Equal("42", c["quoted_int"]!.GetValue<string>());
        Assert.Equal("true", c["single"]!.GetValue<string>());
        Assert.Equal(1.2, c["version"]!.GetValue<double>());
        Assert.Equal("12\n", c["block"]!.GetValue<string>());
    }

    [Fact]
    public void Supports_anchors_aliases_and_merge_keys()
    {
        _tree.Write("flow.yaml", """
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata: { name: anchors }
            spec:
              nodes:
                - id: a
                  type: Script
                  config: &base { timeout_seconds: 5, parse: text }
                - id: b
                  type: Script
                  config:
                    <<: *base
                    parse: json
              connections: [ { from: start, to: a }, { from: a, to: b } ]
            """);

        var nodes = Load().Flows["anchors"].Nodes;

        Assert.Equal(5, nodes[1].Config["timeout_seconds"]!.GetValue<long>());
        Assert.Equal("json", nodes[1].Config["parse"]!.GetValue<string>());
        Assert.Equal("text", nodes[0].Config["parse"]!.GetValue<string>());
    }

    [Fact]
    public void Yaml_syntax_error_names_file_document_and_line()
    {
        _tree.Write("broken.yaml", ResourceYaml.Flow("ok-flow") + "\n---\napiVersion: aof.dev/v1\nkind: [unclosed\n");

        var ex = LoadFails();

        var error = AssertError(ex, "broken.yaml", 2, null, "YAML syntax error at line");
        Assert.Matches(@"line (2[0-9]|3[0-9])", error.Message);
    }

    [Fact]
    public void Envelope_errors_apiVersion_kind_and_name()
    {
        _tree.Write("envelope.yaml", """
            kind: Agent
            metadata: { name: no-api }
            ---
            apiVersion: aof.dev/v2
            kind: Agent
            metadata: { name: wrong-api }
            ---
            apiVersion: aof.dev/v1
            metadata: { name: no-kind }
            ---
            apiVersion: aof.dev/v1
            kind: Robot
            metadata: { name: robot }
            ---
            apiVersion: aof.dev/v1
            kind: Agent
            metadata: { labels: { a: b } }
            ---
            apiVersion: aof.dev/v1
            kind: Agent
            ---
            - just
            - a list
            """);

        var ex = LoadFails();

        AssertError(ex, "envelope.yaml", 1, "apiVersion", "required");
        AssertError(ex, "envelope.yaml", 2, "apiVersion", "must be aof.dev/v1, not 'aof.dev/v2'");
        AssertError(ex, "envelope.yaml", 3, "kind", "required");
        AssertError(ex, "envelope.yaml", 4, "kind", "unknown kind 'Robot'");
        AssertError(ex, "envelope.yaml", 5, "metadata.name", "required");
        AssertError(ex, "envelope.yaml", 6, "metadata.name", "required");
        AssertError(ex, "envelope.yaml", 7, null, "must be a mapping");
        Assert.Equal(7, ex.Errors.Count);
    }

    [Fact]
    public void Duplicate_names_within_a_kind_name_both_files_but_the_same_name_across_kinds_is_fine()
    {
        _tree.Write("a/first.yaml", ResourceYaml.Flow("same"));
        _tree.Write("b/second.yaml", ResourceYaml.Flow("same"));
        _tree.Write("c/agent.yaml", ResourceYaml.Agent("same"));

        var ex = LoadFails();

        var error = AssertError(ex, "b/second.yaml", 1, "metadata.name", "duplicate AgentFlow name 'same'");
        Assert.Contains(_tree.PathOf("a/first.yaml"), error.Message);
        Assert.EndsWith("(line 4)", error.Message);
        Assert.Single(ex.Errors);
    }

    [Fact]
    public void Flow_errors_nodes_and_connections()
    {
        _tree.Write("flow.yaml", """
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata: { name: bad }
            spec:
              nodes:
                - { id: a, type: Script }
                - { id: a, type: End }
                - { id: b, type: Teleport }
                - { type: End }
                - { id: c }
                - { id: start, type: End }
              connections:
                - { from: start, to: a }
                - { from: ghost, to: a }
                - { from: a, to: nowhere }
                - { to: a }
            ---
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata: { name: no-nodes }
            spec: {}
            """);

        var ex = LoadFails();

        AssertError(ex, "flow.yaml", 1, "spec.nodes[1].id", "duplicate node id 'a'");
        AssertError(ex, "flow.yaml", 1, "spec.nodes[2].type", "unknown node type 'Teleport'");
        AssertError(ex, "flow.yaml", 1, "spec.nodes[3].id", "required");
        AssertError(ex, "flow.yaml", 1, "spec.nodes[4].type", "required");
        AssertError(ex, "flow.yaml", 1, "spec.nodes[5].id", "reserved");
        AssertError(ex, "flow.yaml", 1, "spec.connections[1].from", "no node with id 'ghost'");
        AssertError(ex, "flow.yaml", 1, "spec.connections[2].to", "no node with id 'nowhere'");
        AssertError(ex, "flow.yaml", 1, "spec.connections[3].from", "required");
        AssertError(ex, "flow.yaml", 2, "spec.nodes", "required");
        AssertError(ex, "flow.yaml", 2, "spec.connections", "required");
        var typeError = ex.Errors.Single(e => e.Field == "spec.nodes[2].type");
        Assert.Contains("(line 8)", typeError.Message);
    }

    [Fact]
    public void Trigger_errors_type_bindings_and_priority()
    {
        _tree.Write("flow.yaml", ResourceYaml.Flow("f"));
        _tree.Write("trigger.yaml", """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata: { name: t }
            spec:
              priority: urgent
              commands:
                /none: { description: nothing bound }
                /two: { flow: f, agent: x }
                /prio: { flow: f, priority: asap }
                /null:
            """);

        var ex = LoadFails();

        AssertError(ex, "trigger.yaml", 1, "spec.type", "required");
        AssertError(ex, "trigger.yaml", 1, "spec.priority", "must be high, normal or low, not 'urgent'");
        AssertError(ex, "trigger.yaml", 1, "spec.commands[\"/none\"]", "exactly one of agent, fleet or flow (found: none)");
        AssertError(ex, "trigger.yaml", 1, "spec.commands[\"/two\"]", "found: agent, flow");
        AssertError(ex, "trigger.yaml", 1, "spec.commands[\"/prio\"].priority", "not 'asap'");
        AssertError(ex, "trigger.yaml", 1, "spec.commands[\"/null\"]", "must be a mapping");
    }

    [Fact]
    public void GitHub_webhook_secret_is_required_and_an_unset_variable_is_named()
    {
        _tree.Write("flow.yaml", ResourceYaml.Flow("f"));
        _tree.Write("t1.yaml", ResourceYaml.GitHubTrigger("from-env", "f", "${GITHUB_WEBHOOK_SECRET}"));
        _tree.Write("t2.yaml", ResourceYaml.GitHubTrigger("quoted-empty", "f", "\"\""));
        _tree.Write("t3.yaml", """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata: { name: no-config }
            spec: { type: GitHub, commands: { push: { flow: f } } }
            ---
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata: { name: no-secret }
            spec: { type: GitHub, config: { github_events: [push] }, commands: { push: { flow: f } } }
            """);

        var ex = LoadFails(TestEnv.Of(("OTHER", "x")));

        AssertError(ex, "t1.yaml", 1, "spec.config.webhook_secret", "environment variable GITHUB_WEBHOOK_SECRET is not set or empty");
        AssertError(ex, "t2.yaml", 1, "spec.config.webhook_secret", "must not be empty");
        AssertError(ex, "t3.yaml", 1, "spec.config.webhook_secret", "required");
        AssertError(ex, "t3.yaml", 2, "spec.config.webhook_secret", "required");
        Assert.Equal(4, ex.Errors.Count);

        // With the variable set the same tree loads.
        var catalog = ResourceLoader.Load([_tree.PathOf("flow.yaml"), _tree.PathOf("t1.yaml")], TestEnv.Of(("GITHUB_WEBHOOK_SECRET", "shh")));
        Assert.Equal("shh", catalog.Triggers.Single().GitHub!.WebhookSecret);
    }

    [Fact]
    public void Cross_references_to_resources_that_are_not_loaded_are_errors()
    {
        _tree.Write("flow.yaml", ResourceYaml.Flow("exists"));
        _tree.Write("trigger.yaml", """
            apiVersion: aof.dev/v1
            kind: Trigger
            metadata: { name: t }
            spec:
              type: Slack
              default_agent: ghost-agent
              commands:
                /ok: { flow: exists }
                /flow: { flow: missing-flow }
                /fleet: { fleet: missing-fleet }
                /agent: { agent: missing-agent }
            """);

        var ex = LoadFails();

        AssertError(ex, "trigger.yaml", 1, "spec.default_agent", "no Agent named 'ghost-agent' is loaded");
        AssertError(ex, "trigger.yaml", 1, "spec.commands[\"/flow\"].flow", "no AgentFlow named 'missing-flow' is loaded");
        AssertError(ex, "trigger.yaml", 1, "spec.commands[\"/fleet\"].fleet", "no AgentFleet named 'missing-fleet' is loaded");
        AssertError(ex, "trigger.yaml", 1, "spec.commands[\"/agent\"].agent", "no Agent named 'missing-agent' is loaded");
        Assert.Equal(4, ex.Errors.Count);
    }

    [Fact]
    public void Errors_of_every_file_are_reported_together()
    {
        _tree.Write("1-syntax.yaml", "apiVersion: aof.dev/v1\nkind: Agent\nmetadata: {name: [\n");
        _tree.Write("2-kind.yaml", "apiVersion: aof.dev/v1\nkind: Nope\nmetadata: { name: n }\n");
        _tree.Write("3-flow.yaml", ResourceYaml.Flow("f", nodeType: "Warp"));
        _tree.Write("4-trigger.yaml", ResourceYaml.GitHubTrigger("t", "not-there"));

        var ex = LoadFails();

        AssertError(ex, "1-syntax.yaml", 1, null, "YAML syntax error");
        AssertError(ex, "2-kind.yaml", 1, "kind", "unknown kind 'Nope'");
        AssertError(ex, "3-flow.yaml", 1, "spec.nodes[0].type", "unknown node type 'Warp'");
        AssertError(ex, "4-trigger.yaml", 1, "spec.commands[\"pull_request.opened\"].flow", "no AgentFlow named 'not-there'");
        Assert.Equal(4, ex.Errors.Count);
        Assert.StartsWith("4 resource error(s):", ex.Message);
    }

    [Fact]
    public void One_daemon_config_goes_to_the_catalog_and_a_second_is_an_error()
    {
        _tree.Write("daemon.yaml", "apiVersion: aof.dev/v1\nkind: DaemonConfig\nmetadata: { name: d1 }\nspec: { mode: worker }\n");

        var catalog = Load();
        Assert.Equal("d1", catalog.DaemonConfig!.Name);
        Assert.Equal("worker", catalog.DaemonConfig.Spec["mode"]!.GetValue<string>());

        _tree.Write("sub/other.yaml", "apiVersion: aof.dev/v1\nkind: DaemonConfig\nmetadata: { name: d2 }\n");
        var ex = LoadFails();
        AssertError(ex, "sub/other.yaml", 1, null, "more than one DaemonConfig");
    }

    [Fact]
    public void Missing_directory_is_an_error()
    {
        var missing = _tree.PathOf("does-not-exist");

        var ex = Assert.Throws<ResourceLoadException>(() => ResourceLoader.Load([missing], TestEnv.Empty));

        Assert.Equal(missing, Assert.Single(ex.Errors).File);
        Assert.Contains("not found", ex.Message);
    }

    [Fact]
    public void Loads_the_examples_folder()
    {
        var examples = Path.Combine(RepoRoot.Find(), "examples");

        var catalog = ResourceLoader.Load([examples], TestEnv.Of(("GITHUB_WEBHOOK_SECRET", "example-secret")));

        var trigger = Assert.Single(catalog.Triggers);
        Assert.Equal("github-pr-automation", trigger.Name);
        Assert.Equal("example-secret", trigger.GitHub!.WebhookSecret);
        Assert.Equal(new EventTarget(TargetKind.Flow, "pr-hello"), trigger.Commands["pull_request.opened"].Target);
        Assert.Equal(new EventTarget(TargetKind.Flow, "always-fails"), trigger.Commands["/fail"].Target);
        Assert.Contains("$AOF_REPO", catalog.Flows["pr-hello"].Nodes[0].Config["script_config"]!["command"]!.GetValue<string>());
        Assert.Equal(["Script", "End"], catalog.Flows["always-fails"].Nodes.Select(n => n.Type));
        Assert.Equal("standalone", catalog.DaemonConfig!.Spec["mode"]!.GetValue<string>());

        var ex = Assert.Throws<ResourceLoadException>(() => ResourceLoader.Load([examples], TestEnv.Empty));
        Assert.Contains("GITHUB_WEBHOOK_SECRET", Assert.Single(ex.Errors).Message);
    }
}

/// <summary>Finds the repository root (the folder holding Aof.sln) from the test's output folder.</summary>
public static class RepoRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Aof.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Aof.sln not found above " + AppContext.BaseDirectory);
    }
}

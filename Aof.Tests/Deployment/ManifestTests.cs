using System.Text.Json.Nodes;
using NJsonSchema;
using YamlDotNet.RepresentationModel;

namespace Aof.Tests.Deployment;

/// <summary>The Aspire manifest azd deploys: valid against the aspire-8.0 schema, and within what azd accepts.</summary>
public sealed class ManifestTests
{
    private static readonly string[] AzdTypes = ["project.v0", "container.v0", "parameter.v0", "value.v0"];

    private static async Task<(JsonObject Resources, string Text)> ManifestAsync(params string[] extra)
    {
        using var temp = new TempFolder();
        var file = Path.Combine(temp.Path, "aspire-manifest.json");
        var result = await Publish.RunAsync(["--publisher", "manifest", "--output-path", file, .. extra]);
        Assert.True(result.ExitCode == 0, result.Output);
        var text = await File.ReadAllTextAsync(file);
        return (JsonNode.Parse(text)!["resources"]!.AsObject(), text);
    }

    /// <summary>
    /// The aspire-8.0 schema. It uses two draft-06 forms NJsonSchema does not know: boolean schemas (<c>"build": false</c>)
    /// and <c>const</c> (which tells container.v0 from container.v1). They are rewritten to forms that mean the same
    /// (false: <c>{"not": {}}</c>, true: <c>{}</c>; <c>"const": x</c>: <c>"enum": [x]</c>), so oneOf picks exactly one branch.
    /// </summary>
    private static async Task<JsonSchema> AspireSchemaAsync()
    {
        var path = Path.GetFullPath(Path.Combine(Publish.RepositoryRoot, "..", "shared", "schemas", "aspire-8.0.json"));
        Assert.True(File.Exists(path), $"the schema is expected at {path} (../shared/schemas relative to the repository)");
        var root = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        RewriteDraft06(root);
        return await JsonSchema.FromJsonAsync(root.ToJsonString());
    }

    private static void RewriteDraft06(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var child = obj[key];
                    if (key == "properties" && child is JsonObject props)
                    {
                        foreach (var name in props.Select(p => p.Key).ToList())
                        {
                            if (props[name] is JsonValue v && v.TryGetValue<bool>(out var b))
                                props[name] = b ? new JsonObject() : new JsonObject { ["not"] = new JsonObject() };
                        }
                    }
                    if (key == "const" && child is JsonValue constant)
                    {
                        obj.Remove("const");
                        obj["enum"] = new JsonArray(constant.DeepClone());
                        continue;
                    }
                    if (child is not null) RewriteDraft06(child);
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null) RewriteDraft06(item);
                }
                break;
        }
    }

    [Theory]
    [InlineData("redis", false)]
    [InlineData("nats", false)]
    [InlineData("redis", true)]
    [InlineData("nats", true)]
    public async Task Manifest_is_valid_against_the_aspire_schema(string queue, bool externalBrokers)
    {
        var schema = await AspireSchemaAsync();
        var (_, text) = await ManifestAsync(externalBrokers ? ["--queue", queue, "--external-brokers"] : ["--queue", queue]);

        var errors = schema.Validate(text);

        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.ToString())));
    }

    [Fact]
    public async Task The_schema_check_fails_on_a_manifest_azd_could_not_read()
    {
        var schema = await AspireSchemaAsync();
        var (resources, _) = await ManifestAsync();
        resources["redis"]!["bindings"]!["tcp"]!["protocol"] = "http"; // only tcp or udp

        Assert.NotEmpty(schema.Validate(new JsonObject { ["resources"] = resources.DeepClone() }.ToJsonString()));
    }

    [Theory]
    [InlineData("redis", false)]
    [InlineData("nats", false)]
    [InlineData("nats", true)]
    public async Task Manifest_keeps_to_azds_rules(string queue, bool externalBrokers)
    {
        var (resources, _) = await ManifestAsync(externalBrokers ? ["--queue", queue, "--external-brokers"] : ["--queue", queue]);

        foreach (var (name, node) in resources)
        {
            var resource = node!.AsObject();
            var type = (string)resource["type"]!;
            Assert.Contains(type, AzdTypes);
            foreach (var (binding, b) in resource["bindings"]?.AsObject() ?? [])
            {
                if ((string)b!["protocol"]! == "tcp") Assert.True(b["targetPort"] is not null, $"{name}.bindings.{binding} has no targetPort");
            }
            if (type == "parameter.v0")
            {
                // A parameter's value refers to its own inputs, never to another resource.
                Assert.Equal($"{{{name}.inputs.value}}", (string)resource["value"]!);
                Assert.NotNull(resource["inputs"]!["value"]);
            }
        }
    }

    [Fact]
    public async Task Secrets_are_secret_parameters_and_passwords_are_generated()
    {
        var (resources, text) = await ManifestAsync();

        foreach (var name in new[] { "redis-password", "github-webhook-secret", "admin-token" })
        {
            var input = resources[name]!["inputs"]!["value"]!;
            Assert.Equal("parameter.v0", (string)resources[name]!["type"]!);
            Assert.True((bool)input["secret"]!, name);
        }
        Assert.NotNull(resources["redis-password"]!["inputs"]!["value"]!["default"]!["generate"]!["minLength"]);
        Assert.NotNull(resources["admin-token"]!["inputs"]!["value"]!["default"]!["generate"]);
        // The webhook secret must equal what GitHub is given: asked for, not generated.
        Assert.Null(resources["github-webhook-secret"]!["inputs"]!["value"]!["default"]);
        Assert.DoesNotContain("aof-dev-secret", text);
    }

    [Fact]
    public async Task Redis_is_a_container_with_an_expression_connection_string_and_projects_are_wired_to_it()
    {
        var (resources, _) = await ManifestAsync();

        var redis = resources["redis"]!;
        Assert.Equal("container.v0", (string)redis["type"]!);
        Assert.Equal("{redis.bindings.tcp.host}:{redis.bindings.tcp.port},password={redis-password.value}", (string)redis["connectionString"]!);
        Assert.Equal(6379, (int)redis["bindings"]!["tcp"]!["targetPort"]!);
        Assert.StartsWith("docker.io/library/redis:", (string)redis["image"]!);
        Assert.Null(resources["nats"]); // not used by the projects, so not deployed

        foreach (var (project, mode) in new[] { ("gateway", "gateway"), ("worker", "worker") })
        {
            var p = resources[project]!;
            Assert.Equal("project.v0", (string)p["type"]!);
            var cap = char.ToUpperInvariant(project[0]) + project[1..];
            Assert.EndsWith($"/Aof.{cap}/Aof.{cap}.csproj", (string)p["path"]!);
            Assert.DoesNotContain("\\", (string)p["path"]!);
            Assert.Equal("{redis.connectionString}", (string)p["env"]!["ConnectionStrings__redis"]!);
            Assert.Equal("redis", (string)p["env"]!["Aof__Queue__Type"]!);
            Assert.Equal("{github-webhook-secret.value}", (string)p["env"]!["GITHUB_WEBHOOK_SECRET"]!);
            var args = p["args"]!.AsArray().Select(a => (string)a!).ToList();
            Assert.Equal(mode, args[args.IndexOf("--mode") + 1]);
            Assert.Equal("/app/aof/daemon.yaml", args[args.IndexOf("--config") + 1]);
        }
        Assert.True((bool)resources["gateway"]!["bindings"]!["http"]!["external"]!);
        Assert.Null(resources["worker"]!["bindings"]!["http"]!["external"]);
        Assert.Equal("{admin-token.value}", (string)resources["gateway"]!["env"]!["AOF_ADMIN_TOKEN"]!);
    }

    [Fact]
    public async Task Nats_is_a_container_with_a_jetstream_volume_and_its_url_connection_string()
    {
        var (resources, _) = await ManifestAsync("--queue", "nats");

        var nats = resources["nats"]!;
        Assert.Equal("nats://nats:{nats-password.value}@{nats.bindings.tcp.host}:{nats.bindings.tcp.port}", (string)nats["connectionString"]!);
        Assert.Contains("-js", nats["args"]!.AsArray().Select(a => (string)a!));
        Assert.Equal("/data", (string)nats["volumes"]![0]!["target"]!);
        Assert.Equal("{nats.connectionString}", (string)resources["worker"]!["env"]!["ConnectionStrings__nats"]!);
        Assert.Equal("nats", (string)resources["worker"]!["env"]!["Aof__Queue__Type"]!);
        Assert.Null(resources["redis"]);
    }

    [Fact]
    public async Task External_brokers_are_secret_connection_string_parameters()
    {
        var (resources, _) = await ManifestAsync("--external-brokers");

        var redis = resources["redis"]!;
        Assert.Equal("parameter.v0", (string)redis["type"]!);
        Assert.Equal("{redis.value}", (string)redis["connectionString"]!);
        Assert.True((bool)redis["inputs"]!["value"]!["secret"]!);
        Assert.Null(resources["redis-password"]);
    }

    [Fact]
    public void Azure_yaml_names_the_apphost_as_its_single_containerapp_service()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Publish.RepositoryRoot, "azure.yaml"))));
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];

        var service = (YamlMappingNode)Assert.Single(services.Children).Value;
        Assert.Equal("dotnet", service["language"].ToString());
        Assert.Equal("containerapp", service["host"].ToString());
        Assert.Equal("./Aof.AppHost/Aof.AppHost.csproj", service["project"].ToString());
        Assert.True(File.Exists(Path.Combine(Publish.RepositoryRoot, service["project"].ToString())));
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;

namespace Aof.AppHost.Publishing.Manifest;

/// <summary>
/// The Aspire manifest (schema aspire-8.0) that azd turns into Azure Container Apps. Keeps to what azd accepts:
/// <c>project.v0</c>, <c>container.v0</c>, <c>parameter.v0</c> and <c>value.v0</c>; every binding has a targetPort;
/// values are expressions (<c>{redis.bindings.tcp.host}</c>, <c>{redis-password.value}</c>) azd resolves, never secrets.
/// Requests, limits and autoscaling have no place in this format: Container Apps applies its own (see docs/deployment.md).
/// </summary>
public sealed class ManifestPublisher : IPublisher
{
    /// <summary>Where the projects' images hold the DaemonConfig folder (AofResourcesDirectory, copied on publish).</summary>
    public const string ImageConfigDirectory = "/app/aof";

    public const string SchemaUrl = "https://json.schemastore.org/aspire-8.0.json";

    public string Name => "manifest";

    public bool WritesSingleFile => true;

    public bool IsOwnOutput(string existingText) =>
        existingText.Length == 0 || existingText.Contains($"\"$schema\": \"{SchemaUrl}\"", StringComparison.Ordinal);

    public IReadOnlyDictionary<string, string> Generate(DeploymentModel model)
    {
        var examples = Path.GetFullPath(Path.Combine(AppHostOptions.ProjectDirectory, "..", "examples"));
        if (!string.Equals(Path.GetFullPath(model.DaemonConfigDirectory).TrimEnd('/'), examples.TrimEnd('/'), StringComparison.Ordinal))
            throw new PublishingException(
                $"the manifest publisher cannot express the resources of {model.DaemonConfigDirectory}: Container Apps get the " +
                "resources baked into the images (examples/ by default); publish the images with -p:AofResourcesDirectory=<folder> and omit --examples");

        var outputDirectory = Path.GetDirectoryName(model.Options.OutputPath!)!;
        var resources = new JsonObject();
        foreach (var resource in model.All)
        {
            switch (resource)
            {
                case ParameterResource parameter when model.Parameters.Contains(parameter):
                    resources[parameter.Name] = Parameter(parameter);
                    break;
                case BrokerResource broker when model.Brokers.Contains(broker):
                    resources[broker.Name] = broker.IsExternal ? ExternalBroker(broker) : Container(broker);
                    break;
                case ProjectResource project:
                    resources[project.Name] = Project(model, project, outputDirectory);
                    break;
            }
        }
        var manifest = new JsonObject { ["$schema"] = SchemaUrl, ["resources"] = resources };
        var json = manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        return new Dictionary<string, string> { [""] = json.ReplaceLineEndings("\n") + "\n" };
    }

    private static JsonObject Parameter(ParameterResource parameter)
    {
        var input = new JsonObject { ["type"] = "string", ["secret"] = parameter.Secret };
        if (parameter.GenerateMinLength is { } length)
            input["default"] = new JsonObject { ["generate"] = new JsonObject { ["minLength"] = length, ["special"] = false } };
        else if (parameter.Optional)
            input["default"] = new JsonObject { ["value"] = "" };
        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{parameter.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
    }

    /// <summary>An existing broker: its connection string is a secret the user gives azd.</summary>
    private static JsonObject ExternalBroker(BrokerResource broker) => new()
    {
        ["type"] = "parameter.v0",
        ["connectionString"] = $"{{{broker.Name}.value}}",
        ["value"] = $"{{{broker.Name}.inputs.value}}",
        ["inputs"] = new JsonObject { ["value"] = new JsonObject { ["type"] = "string", ["secret"] = true } },
    };

    private static JsonObject Container(BrokerResource broker)
    {
        var password = broker.Password is null ? null : $"{{{broker.Password.Name}.value}}";
        var binding = Binding(broker);
        return new JsonObject
        {
            ["type"] = "container.v0",
            ["connectionString"] = broker.DeployedConnectionString(
                $"{{{broker.Name}.bindings.{binding.Name}.host}}", $"{{{broker.Name}.bindings.{binding.Name}.port}}", password),
            ["image"] = broker.Image.ToString(),
            ["args"] = new JsonArray([.. broker.ContainerArgs(password).Select(a => (JsonNode)a)]),
            ["volumes"] = new JsonArray(new JsonObject
            {
                ["name"] = $"{DeploymentModel.PartOf}-{broker.Name}-{broker.Volume.Name}",
                ["target"] = broker.Volume.MountPath,
                ["readOnly"] = false,
            }),
            ["bindings"] = new JsonObject { [binding.Name] = binding.Json },
        };
    }

    private static JsonObject Project(DeploymentModel model, ProjectResource project, string outputDirectory)
    {
        var binding = Binding(project);
        var env = new JsonObject
        {
            // .NET's container images listen on HTTP_PORTS; tie it to the binding so the two cannot drift.
            ["HTTP_PORTS"] = $"{{{project.Name}.bindings.{binding.Name}.targetPort}}",
        };
        foreach (var (name, value) in project.Environment.OrderBy(e => e.Key, StringComparer.Ordinal)) env[name] = value;
        foreach (var (name, parameter) in project.ParameterEnvironment.OrderBy(e => e.Key, StringComparer.Ordinal))
            env[name] = $"{{{parameter.Name}.value}}";
        foreach (var reference in project.References) env[$"ConnectionStrings__{reference.Name}"] = $"{{{reference.Name}.connectionString}}";
        return new JsonObject
        {
            ["type"] = "project.v0",
            ["path"] = Path.GetRelativePath(outputDirectory, project.ProjectPath).Replace(Path.DirectorySeparatorChar, '/'),
            ["args"] = new JsonArray([.. model.DeployedArgs(project, ImageConfigDirectory).Select(a => (JsonNode)a)]),
            ["env"] = env,
            ["bindings"] = new JsonObject { [binding.Name] = binding.Json },
        };
    }

    private static (string Name, JsonObject Json) Binding(Resource resource)
    {
        var endpoint = resource.Endpoint;
        if (endpoint.TargetPort is not { } targetPort)
            throw new PublishingException($"the manifest publisher cannot express resource '{resource.Name}': it has no target port (WithHttpEndpoint)");
        var json = new JsonObject
        {
            ["scheme"] = endpoint.Scheme,
            ["protocol"] = "tcp",
            ["transport"] = endpoint.Scheme == "http" ? "http" : "tcp",
            ["targetPort"] = targetPort,
        };
        if (endpoint.IsExternal) json["external"] = true;
        return (endpoint.Scheme, json);
    }
}

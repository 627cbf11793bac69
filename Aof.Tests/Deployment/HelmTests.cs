using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Aof.Tests.Deployment;

/// <summary>The Helm chart: every value the templates read is defined in values.yaml, and the chart is well formed.</summary>
public sealed partial class HelmTests
{
    private static async Task<string> ChartAsync(TempFolder temp)
    {
        var output = Path.Combine(temp.Path, "aof");
        var result = await Publish.RunAsync(["--publisher", "helm", "--output-path", output]);
        Assert.True(result.ExitCode == 0, result.Output);
        return output;
    }

    [Fact]
    public async Task Every_value_the_templates_use_is_defined_in_values_yaml()
    {
        using var temp = new TempFolder();
        var chart = await ChartAsync(temp);
        var values = new YamlStream();
        values.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(chart, "values.yaml"))));
        var root = (YamlMappingNode)values.Documents[0].RootNode;

        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(chart, "templates")))
        {
            foreach (Match m in ValuesReference().Matches(await File.ReadAllTextAsync(file))) used.Add(m.Groups[1].Value);
        }

        Assert.Contains("queue.type", used);
        Assert.Contains("worker.autoscaling.lagTarget", used);
        var missing = used.Where(path => !Defined(root, path)).ToList();
        Assert.True(missing.Count == 0, "not in values.yaml: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Values_cover_image_replicas_autoscaling_brokers_resources_and_ingress()
    {
        using var temp = new TempFolder();
        var chart = await ChartAsync(temp);
        var values = new YamlStream();
        values.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(chart, "values.yaml"))));
        var root = (YamlMappingNode)values.Documents[0].RootNode;

        foreach (var path in new[]
                 {
                     "image.registry", "image.tag", "gateway.image.repository", "worker.replicas", "worker.autoscaling.minReplicas",
                     "worker.autoscaling.maxReplicas", "worker.autoscaling.lagTarget", "queue.type", "redis.external", "nats.external",
                     "worker.resources.limits.memory", "ingress.enabled", "ingress.host", "ingress.annotations", "redis.persistence.size",
                 })
            Assert.True(Defined(root, path), path);
        Assert.Equal("redis", root["queue"]["type"].ToString());
    }

    [Fact]
    public async Task Templates_are_well_formed()
    {
        using var temp = new TempFolder();
        var chart = await ChartAsync(temp);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(chart, "Chart.yaml"))));
        var meta = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("v2", meta["apiVersion"].ToString());
        Assert.Equal("aof", meta["name"].ToString());

        foreach (var file in Directory.EnumerateFiles(Path.Combine(chart, "templates"), "*.yaml"))
        {
            var text = await File.ReadAllTextAsync(file);
            Assert.Equal(Regex.Matches(text, @"\{\{-? (if|with|range) ").Count, Regex.Matches(text, @"\{\{-? end \}\}").Count);
            Assert.Equal(Regex.Matches(text, @"\{\{").Count, Regex.Matches(text, @"\}\}").Count);
            Assert.DoesNotMatch(@"HELM\d+X", text); // every placeholder became a template expression
        }
        // Each broker is in the chart, chosen by queue.type, so one chart serves both queues.
        Assert.Contains("eq .Values.queue.type \"nats\"", await File.ReadAllTextAsync(Path.Combine(chart, "templates", "worker.yaml")));
        Assert.Contains("nats-jetstream", await File.ReadAllTextAsync(Path.Combine(chart, "templates", "worker.yaml")));
    }

    private static bool Defined(YamlMappingNode root, string path)
    {
        YamlNode node = root;
        foreach (var part in path.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(part), out var child)) return false;
            node = child;
        }
        return true;
    }

    [GeneratedRegex(@"\.Values\.([A-Za-z0-9_.]+)")]
    private static partial Regex ValuesReference();
}

/// <summary>The chart, rendered with its default values (or queue.type=nats), is exactly the kubernetes publisher's objects.</summary>
public sealed class HelmRenderingTests
{
    [Theory]
    [InlineData("redis")]
    [InlineData("nats")]
    public async Task Rendered_chart_equals_the_kubernetes_manifests_of_the_same_model(string queue)
    {
        using var temp = new TempFolder();
        var chart = Path.Combine(temp.Path, "aof");
        var k8s = Path.Combine(temp.Path, "k8s");
        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "helm", "--output-path", chart])).ExitCode);
        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "kubernetes", "--queue", queue, "--output-path", k8s])).ExitCode);
        var values = new YamlStream();
        values.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(chart, "values.yaml"))));
        var root = (YamlMappingNode)values.Documents[0].RootNode;
        MiniHelm.Set(root, "queue.type", queue);
        var helm = new MiniHelm(root, "aof");

        var rendered = new List<object>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(chart, "templates"), "*.yaml"))
            rendered.AddRange(KubernetesTests.ParseStrict(helm.Render(await File.ReadAllTextAsync(file))));
        var expected = new List<object>();
        foreach (var file in Directory.EnumerateFiles(k8s, "*.yaml")) // not secrets/: the chart reads an existing Secret
            expected.AddRange(KubernetesTests.ParseStrict(await File.ReadAllTextAsync(file)));
        expected.RemoveAll(o => o is global::k8s.Models.V1Namespace); // helm install -n creates it

        Assert.True(expected.Count >= 10, $"only {expected.Count} objects");
        static List<string> Normal(IEnumerable<object> objects) =>
            objects.Select(o => global::k8s.KubernetesJson.Serialize(o)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Normal(expected), Normal(rendered));
    }

    [Fact]
    public async Task Values_reach_the_rendered_objects()
    {
        using var temp = new TempFolder();
        var chart = Path.Combine(temp.Path, "aof");
        Assert.Equal(0, (await Publish.RunAsync(["--publisher", "helm", "--output-path", chart])).ExitCode);
        var values = new YamlStream();
        values.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(chart, "values.yaml"))));
        var root = (YamlMappingNode)values.Documents[0].RootNode;
        MiniHelm.Set(root, "redis.external", "true");
        MiniHelm.Set(root, "worker.autoscaling.lagTarget", "75");
        MiniHelm.Set(root, "image.registry", "myregistry.azurecr.io");
        MiniHelm.Set(root, "image.tag", "1.2.3");
        MiniHelm.Set(root, "ingress.enabled", "false");
        var helm = new MiniHelm(root, "prod");
        var ingressValues = new YamlStream();
        ingressValues.Load(new StringReader(await File.ReadAllTextAsync(Path.Combine(chart, "values.yaml"))));
        var withIngress = (YamlMappingNode)ingressValues.Documents[0].RootNode;
        MiniHelm.Set(withIngress, "ingress.host", "aof.example.com");
        ((YamlMappingNode)withIngress["ingress"]).Children[new YamlScalarNode("annotations")] =
            new YamlMappingNode(new YamlScalarNode("kubernetes.io/ingress.class"), new YamlScalarNode("nginx"));
        var gatewayTemplate = await File.ReadAllTextAsync(Path.Combine(chart, "templates", "gateway.yaml"));
        var ingress = KubernetesTests.ParseStrict(new MiniHelm(withIngress, "prod").Render(gatewayTemplate)).OfType<global::k8s.Models.V1Ingress>().Single();
        Assert.Equal("aof.example.com", ingress.Spec.Rules[0].Host);
        Assert.Equal("nginx", ingress.Metadata.Annotations["kubernetes.io/ingress.class"]);

        var objects = new List<object>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(chart, "templates"), "*.yaml"))
            objects.AddRange(KubernetesTests.ParseStrict(helm.Render(await File.ReadAllTextAsync(file))));

        Assert.Empty(objects.OfType<global::k8s.Models.V1StatefulSet>());
        Assert.Empty(objects.OfType<global::k8s.Models.V1Ingress>());
        var worker = objects.OfType<global::k8s.Models.V1Deployment>().Single(d => d.Metadata.Name == "worker");
        Assert.Equal("prod", worker.Metadata.NamespaceProperty);
        Assert.Equal("myregistry.azurecr.io/aof-worker:1.2.3", worker.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("redis-connection-string",
            worker.Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "ConnectionStrings__redis").ValueFrom.SecretKeyRef.Key);
        Assert.All(objects.OfType<KedaScaledObject>().Single().Spec.Triggers, t => Assert.Equal("75", t.Metadata["lagCount"]));
    }
}

using Aof.Core.Queue.Nats;
using Aof.Core.Queue.Redis;
using k8s;
using k8s.Models;

namespace Aof.Tests.Deployment;

/// <summary>The kubectl manifests: every object parses strictly into KubernetesClient's typed models, and says what the issue asks.</summary>
public sealed class KubernetesTests
{
    /// <summary>Every kind AOF writes; a kind outside this map fails the parse.</summary>
    private static readonly Dictionary<string, Type> Kinds = new()
    {
        ["v1/Namespace"] = typeof(V1Namespace),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["v1/Secret"] = typeof(V1Secret),
        ["v1/Service"] = typeof(V1Service),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["apps/v1/StatefulSet"] = typeof(V1StatefulSet),
        ["autoscaling/v2/HorizontalPodAutoscaler"] = typeof(V2HorizontalPodAutoscaler),
        ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
        ["networking.k8s.io/v1/Ingress"] = typeof(V1Ingress),
        ["keda.sh/v1alpha1/ScaledObject"] = typeof(KedaScaledObject),
        ["keda.sh/v1alpha1/TriggerAuthentication"] = typeof(KedaTriggerAuthentication),
    };

    public static List<object> ParseStrict(string yaml) => KubernetesYaml.LoadAllFromString(yaml, Kinds, strict: true);

    private static async Task<List<object>> PublishAsync(params string[] extra)
    {
        using var temp = new TempFolder();
        var output = Path.Combine(temp.Path, "k8s");
        var result = await Publish.RunAsync(["--publisher", "kubernetes", "--output-path", output, .. extra]);
        Assert.True(result.ExitCode == 0, result.Output);
        var objects = new List<object>();
        foreach (var file in Directory.EnumerateFiles(output, "*.yaml", SearchOption.AllDirectories).Order())
        {
            try
            {
                objects.AddRange(ParseStrict(await File.ReadAllTextAsync(file)));
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"{Path.GetRelativePath(output, file)} does not parse strictly: {ex.Message}");
            }
        }
        return objects;
    }

    private static T One<T>(IEnumerable<object> objects, string name) where T : IKubernetesObject<V1ObjectMeta> =>
        objects.OfType<T>().Single(o => o.Metadata.Name == name);

    [Theory]
    [InlineData("redis")]
    [InlineData("nats")]
    public async Task Every_object_parses_strictly_with_the_typed_models(string queue)
    {
        var objects = await PublishAsync("--queue", queue);

        Assert.All(objects, o => Assert.Equal("aof", ((IKubernetesObject<V1ObjectMeta>)o).Metadata.NamespaceProperty ?? ((IKubernetesObject<V1ObjectMeta>)o).Metadata.Name));
        Assert.Equal(2, objects.OfType<V1Deployment>().Count());
        Assert.Equal(queue, Assert.Single(objects.OfType<V1StatefulSet>()).Metadata.Name);
        Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>());
        Assert.Single(objects.OfType<KedaScaledObject>());
        Assert.Equal(2, objects.OfType<V1PodDisruptionBudget>().Count());
        Assert.Single(objects.OfType<V1ConfigMap>());
        Assert.Single(objects.OfType<V1Secret>());
    }

    [Fact]
    public void The_strict_parse_fails_on_an_unknown_field()
    {
        const string yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  selctor: {}\n";

        Assert.ThrowsAny<Exception>(() => ParseStrict(yaml));
        Assert.ThrowsAny<Exception>(() => ParseStrict("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: w\nspec:\n  minReplicas: 1\n"));
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("worker")]
    public async Task Deployments_have_probes_limits_a_restricted_context_and_a_grace_period_above_the_drain(string name)
    {
        var objects = await PublishAsync();
        var deployment = One<V1Deployment>(objects, name);
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);

        Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/health", container.ReadinessProbe.HttpGet.Path);
        Assert.NotNull(container.Resources.Requests["cpu"]);
        Assert.NotNull(container.Resources.Limits["memory"]);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains("ALL", container.SecurityContext.Capabilities.Drop);
        Assert.True(pod.TerminationGracePeriodSeconds > 30, "longer than worker.drain_timeout_secs (30)");
        Assert.Equal(8080, Assert.Single(container.Ports).ContainerPort);
        Assert.Equal("/etc/aof/daemon.yaml", container.Args[container.Args.IndexOf("--config") + 1]);
        Assert.Equal(name, container.Args[container.Args.IndexOf("--mode") + 1]);
        // Secrets come from the Secret, never as values.
        Assert.Equal("aof-secrets", container.Env.Single(e => e.Name == "GITHUB_WEBHOOK_SECRET").ValueFrom.SecretKeyRef.Name);
        Assert.Equal("redis:6379,password=$(REDIS_PASSWORD)", container.Env.Single(e => e.Name == "ConnectionStrings__redis").Value);
        Assert.True(container.Env.ToList().FindIndex(e => e.Name == "REDIS_PASSWORD") < container.Env.ToList().FindIndex(e => e.Name == "ConnectionStrings__redis"),
            "$(REDIS_PASSWORD) expands only when defined earlier");
    }

    [Fact]
    public async Task Redis_is_a_statefulset_with_aof_persistence_on_a_volume()
    {
        var objects = await PublishAsync();
        var redis = One<V1StatefulSet>(objects, "redis");
        var container = Assert.Single(redis.Spec.Template.Spec.Containers);

        Assert.Equal("yes", container.Args[container.Args.IndexOf("--appendonly") + 1]);
        Assert.Equal("everysec", container.Args[container.Args.IndexOf("--appendfsync") + 1]);
        Assert.Equal("$(REDIS_PASSWORD)", container.Args[container.Args.IndexOf("--requirepass") + 1]);
        Assert.Equal("data", Assert.Single(redis.Spec.VolumeClaimTemplates).Metadata.Name);
        Assert.Equal("/data", Assert.Single(container.VolumeMounts).MountPath);
        Assert.True(redis.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        Assert.Equal(6379, One<V1Service>(objects, "redis").Spec.Ports.Single().Port);
    }

    [Fact]
    public async Task The_configmap_holds_the_daemon_config_and_every_resource_file()
    {
        var objects = await PublishAsync();
        var config = One<V1ConfigMap>(objects, "aof-config");
        var examples = Path.Combine(Publish.RepositoryRoot, "examples");

        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(examples, "daemon.yaml")), config.Data["daemon.yaml"]);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(examples, "flows", "pr-hello.yaml")), config.Data["flows__pr-hello.yaml"]);
        var items = One<V1Deployment>(objects, "worker").Spec.Template.Spec.Volumes.Single(v => v.Name == "config").ConfigMap.Items;
        Assert.Contains(items, i => i.Key == "triggers__github.yaml" && i.Path == "triggers/github.yaml");
        Assert.Equal(config.Data.Count, items.Count);
    }

    [Fact]
    public async Task The_secret_is_a_template_without_values()
    {
        var objects = await PublishAsync();
        var secret = One<V1Secret>(objects, "aof-secrets");

        Assert.Equal(["admin-token", "github-token", "github-webhook-secret", "redis-password"], secret.StringData.Keys.Order().ToArray());
        Assert.All(secret.StringData.Values, v => Assert.Equal("", v));
    }

    [Fact]
    public async Task Gateway_scales_on_cpu()
    {
        var hpa = One<V2HorizontalPodAutoscaler>(await PublishAsync(), "gateway");

        Assert.Equal("gateway", hpa.Spec.ScaleTargetRef.Name);
        Assert.Equal("cpu", Assert.Single(hpa.Spec.Metrics).Resource.Name);
        Assert.True(hpa.Spec.MinReplicas >= 1 && hpa.Spec.MaxReplicas >= hpa.Spec.MinReplicas);
    }

    [Fact]
    public async Task Worker_scales_on_redis_stream_lag_per_lane()
    {
        var objects = await PublishAsync("--queue", "redis");
        var scaled = One<KedaScaledObject>(objects, "worker");

        Assert.Equal("worker", scaled.Spec.ScaleTargetRef.Name);
        Assert.Equal(2, scaled.Spec.MinReplicaCount);
        Assert.Equal(10, scaled.Spec.MaxReplicaCount);
        Assert.Equal(3, scaled.Spec.Triggers.Count);
        // The streams the Redis backend really uses, so a renamed key cannot leave KEDA watching nothing.
        Assert.Equal(new RedisKeys("aof").Lanes.Select(k => k.ToString()), scaled.Spec.Triggers.Select(t => t.Metadata["stream"]));
        foreach (var (trigger, lane) in scaled.Spec.Triggers.Zip(new[] { "high", "normal", "low" }))
        {
            Assert.Equal("redis-streams", trigger.Type);
            Assert.Equal("redis.aof.svc.cluster.local:6379", trigger.Metadata["address"]);
            Assert.Equal($"{{aof}}:events:{lane}", trigger.Metadata["stream"]);
            Assert.Equal("aof-workers", trigger.Metadata["consumerGroup"]);
            Assert.Equal("50", trigger.Metadata["lagCount"]);
            var auth = One<KedaTriggerAuthentication>(objects, trigger.AuthenticationRef!.Name);
            Assert.Contains(auth.Spec.SecretTargetRef, r => r is { Parameter: "password", Name: "aof-secrets", Key: "redis-password" });
        }
    }

    [Fact]
    public async Task Worker_scales_on_jetstream_consumer_lag_per_lane()
    {
        var objects = await PublishAsync("--queue", "nats");
        var scaled = One<KedaScaledObject>(objects, "worker");

        Assert.Equal(3, scaled.Spec.Triggers.Count);
        var names = new NatsNames("aof", "aof-workers");
        Assert.Equal(names.LaneConsumers, scaled.Spec.Triggers.Select(t => t.Metadata["consumer"]));
        Assert.All(scaled.Spec.Triggers, t => Assert.Equal(names.EventsStream, t.Metadata["stream"]));
        foreach (var (trigger, lane) in scaled.Spec.Triggers.Zip(new[] { "high", "normal", "low" }))
        {
            Assert.Equal("nats-jetstream", trigger.Type);
            Assert.Equal("nats.aof.svc.cluster.local:8222", trigger.Metadata["natsServerMonitoringEndpoint"]);
            Assert.Equal("$G", trigger.Metadata["account"]);
            Assert.Equal("aof-events", trigger.Metadata["stream"]);
            Assert.Equal($"aof-workers-{lane}", trigger.Metadata["consumer"]);
            Assert.Equal("50", trigger.Metadata["lagThreshold"]);
        }
        var nats = Assert.Single(One<V1StatefulSet>(objects, "nats").Spec.Template.Spec.Containers);
        Assert.Contains(nats.Ports, p => p.ContainerPort == 8222);
        Assert.Contains("-js", nats.Args);
        Assert.Equal("nats://nats:$(NATS_PASSWORD)@nats:4222",
            One<V1Deployment>(objects, "worker").Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "ConnectionStrings__nats").Value);
    }

    [Fact]
    public async Task External_brokers_get_no_statefulset_and_a_connection_string_from_the_secret()
    {
        var objects = await PublishAsync("--external-brokers");

        Assert.Empty(objects.OfType<V1StatefulSet>());
        var env = One<V1Deployment>(objects, "worker").Spec.Template.Spec.Containers[0].Env;
        Assert.Equal("redis-connection-string", env.Single(e => e.Name == "ConnectionStrings__redis").ValueFrom.SecretKeyRef.Key);
        var secret = One<V1Secret>(objects, "aof-secrets");
        Assert.Contains("redis-connection-string", secret.StringData.Keys);
        Assert.DoesNotContain("redis-password", secret.StringData.Keys);
        var trigger = One<KedaScaledObject>(objects, "worker").Spec.Triggers[0];
        Assert.False(trigger.Metadata.ContainsKey("address"));
        Assert.Contains(One<KedaTriggerAuthentication>(objects, trigger.AuthenticationRef!.Name).Spec.SecretTargetRef,
            r => r is { Parameter: "address", Key: "redis-address" });
    }
}

using Aof.AppHost.Hosting.ApplicationModel;
using static Aof.AppHost.Publishing.Kubernetes.Yaml;

namespace Aof.AppHost.Publishing.Kubernetes;

/// <summary>
/// The Kubernetes objects of the app model: a Deployment per project (probes on /alive and /health, requests and
/// limits, a restricted security context, a grace period above the worker's drain timeout), a StatefulSet with a
/// volume per deployed broker, Services, the ConfigMap of the DaemonConfig folder, the Secret template, an HPA on CPU
/// or a KEDA ScaledObject on queue lag, and PodDisruptionBudgets. Settings come from a <see cref="ValueSource"/>, so
/// the kubernetes and Helm publishers write the same objects.
/// </summary>
public sealed class KubernetesObjects(DeploymentModel model, ValueSource values)
{
    public const string SecretName = "aof-secrets";
    public const string ConfigMapName = "aof-config";

    /// <summary>The "app" user of .NET's container images (APP_UID).</summary>
    private const int DotnetUid = 1654;

    /// <summary>Non-root users of the broker images: redis's own user; nats-server needs nothing but its volume.</summary>
    private static readonly Dictionary<string, int> BrokerUsers = new() { ["redis"] = 999, ["nats"] = 1000 };

    /// <summary>Objects that do not depend on which broker the projects use.</summary>
    public IEnumerable<KubernetesDocument> Common()
    {
        yield return new KubernetesDocument("configmap.yaml", ConfigMap());
        foreach (var project in model.Projects)
        {
            var file = $"{project.Name}.yaml";
            if (project.Endpoint.IsExternal)
            {
                yield return new KubernetesDocument(file, ProjectService(project));
                yield return new KubernetesDocument(file, Ingress(project), ".Values.ingress.enabled");
            }
            if (project.Autoscale is { OnQueueLag: false } cpu) yield return new KubernetesDocument(file, Hpa(project, cpu), $".Values.{project.Name}.autoscaling.enabled");
            yield return new KubernetesDocument(file, Pdb(project));
        }
    }

    /// <summary>
    /// Objects of one broker choice: the broker itself (unless <paramref name="external"/>), the projects wired to it,
    /// their KEDA scalers and the Secret template. <paramref name="broker"/> replaces the projects' own broker.
    /// </summary>
    public IEnumerable<KubernetesDocument> ForBroker(BrokerResource? broker, bool external)
    {
        if (broker is not null && !external)
        {
            yield return new KubernetesDocument($"{broker.Name}.yaml", BrokerStatefulSet(broker));
            yield return new KubernetesDocument($"{broker.Name}.yaml", BrokerService(broker));
        }
        foreach (var project in model.Projects)
        {
            var file = $"{project.Name}.yaml";
            yield return new KubernetesDocument(file, Deployment(project, broker, external));
            if (project.Autoscale is { OnQueueLag: true } lag && broker is not null)
            {
                var enabled = $".Values.{project.Name}.autoscaling.enabled";
                if (ScalerSecrets(broker, external).Count > 0)
                    yield return new KubernetesDocument(file, TriggerAuthentication(project, broker, external), enabled);
                yield return new KubernetesDocument(file, ScaledObject(project, lag, broker, external), enabled);
            }
        }
        yield return new KubernetesDocument("secrets/aof-secrets.template.yaml", SecretTemplate(broker, external));
    }

    private Dictionary<string, object> Metadata(string name, string? component = null) => Map(
        ("name", name),
        ("namespace", values.Namespace),
        ("labels", Labels(component ?? name)));

    private static Dictionary<string, object> Labels(string name) => Map(
        ("app.kubernetes.io/name", name),
        ("app.kubernetes.io/part-of", DeploymentModel.PartOf));

    private Dictionary<string, object> ConfigMap()
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (path, content) in model.ConfigFiles) data[ConfigKey(path)] = content;
        return Map(("apiVersion", "v1"), ("kind", "ConfigMap"), ("metadata", Metadata(ConfigMapName, "config")), ("data", data));
    }

    /// <summary>ConfigMap keys cannot hold '/': "flows/pr-hello.yaml" is stored as "flows__pr-hello.yaml" and mounted back at its path.</summary>
    public static string ConfigKey(string path) => path.Replace("/", "__", StringComparison.Ordinal);

    private Dictionary<string, object> Deployment(ProjectResource project, BrokerResource? broker, bool external)
    {
        var name = project.Name;
        var port = project.Endpoint.TargetPort ?? 8080;
        var container = Map(
            ("name", name),
            ("image", values.Computed(
                $"{{{{ with .Values.image.registry }}}}{{{{ . }}}}/{{{{ end }}}}{{{{ .Values.{name}.image.repository }}}}:{{{{ .Values.image.tag }}}}",
                $"{project.ContainerRepository}:latest",
                ("image.registry", ""), ($"{name}.image.repository", project.ContainerRepository), ("image.tag", "latest"))),
            ("imagePullPolicy", values.Value("image.pullPolicy", "IfNotPresent")),
            ("args", List([.. model.DeployedArgs(project, DeploymentModel.ConfigMountPath)])),
            ("ports", List(Map(("name", "http"), ("containerPort", port)))),
            ("env", ProjectEnvironment(project, broker, external)),
            ("livenessProbe", Map(("httpGet", Map(("path", "/alive"), ("port", "http"))), ("periodSeconds", 10), ("failureThreshold", 3))),
            ("readinessProbe", Map(("httpGet", Map(("path", "/health"), ("port", "http"))), ("periodSeconds", 5), ("failureThreshold", 3))),
            ("resources", Resources(project, Defaults.Project)),
            ("securityContext", ContainerSecurity()),
            ("volumeMounts", List(
                Map(("name", "config"), ("mountPath", DeploymentModel.ConfigMountPath), ("readOnly", true)),
                Map(("name", "tmp"), ("mountPath", "/tmp")))));
        var items = model.ConfigFiles.Keys.Select(path => (object)Map(("key", ConfigKey(path)), ("path", path))).ToList();
        var pod = Map(
            ("automountServiceAccountToken", false),
            // Longer than the worker's drain: in-flight executions finish (or are released) before the kill.
            ("terminationGracePeriodSeconds", values.Value($"{name}.terminationGracePeriodSeconds", model.TerminationGraceSecs)),
            ("securityContext", PodSecurity(DotnetUid)),
            ("containers", List(container)),
            ("volumes", List(
                Map(("name", "config"), ("configMap", Map(("name", ConfigMapName), ("items", items)))),
                Map(("name", "tmp"), ("emptyDir", Map(("sizeLimit", "64Mi")))))));
        var replicas = project.Autoscale?.MinReplicas ?? project.Replicas;
        return Map(
            ("apiVersion", "apps/v1"),
            ("kind", "Deployment"),
            ("metadata", Metadata(name)),
            ("spec", Map(
                ("replicas", values.Value($"{name}.replicas", replicas)),
                ("selector", Map(("matchLabels", Labels(name)))),
                ("template", Map(("metadata", Map(("labels", Labels(name)))), ("spec", pod))))));
    }

    private List<object> ProjectEnvironment(ProjectResource project, BrokerResource? broker, bool external)
    {
        var env = new List<object> { Map(("name", "HTTP_PORTS"), ("value", (project.Endpoint.TargetPort ?? 8080).ToString(System.Globalization.CultureInfo.InvariantCulture))) };
        var original = project.References.OfType<BrokerResource>().FirstOrDefault();
        foreach (var (name, value) in project.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            // The queue type follows the broker this variant wires the project to.
            var v = name == "Aof__Queue__Type" && broker is not null && original is not null && value == original.QueueType ? broker.QueueType : value;
            env.Add(Map(("name", name), ("value", v)));
        }
        foreach (var (name, parameter) in project.ParameterEnvironment.OrderBy(e => e.Key, StringComparer.Ordinal))
            env.Add(SecretEnv(name, parameter.Name, parameter.Optional));
        foreach (var reference in project.References)
        {
            var target = reference is BrokerResource && broker is not null ? broker : reference as BrokerResource;
            if (target is null) continue;
            if (external)
            {
                env.Add(SecretEnv($"ConnectionStrings__{target.Name}", ExternalConnectionKey(target)));
                continue;
            }
            string? password = null;
            if (target.Password is not null)
            {
                var variable = EnvName(target.Password.Name);
                env.Add(SecretEnv(variable, target.Password.Name));
                password = $"$({variable})"; // expanded by the kubelet from the variable above
            }
            env.Add(Map(("name", $"ConnectionStrings__{target.Name}"),
                ("value", target.DeployedConnectionString(target.Name, Port(target).ToString(System.Globalization.CultureInfo.InvariantCulture), password))));
        }
        return env;
    }

    // An optional key may be missing from the Secret: the pod starts without the variable.
    private static Dictionary<string, object> SecretEnv(string name, string key, bool optional = false) =>
        Map(("name", name), ("valueFrom", Map(("secretKeyRef", Map(("name", SecretName), ("key", key), ("optional", optional ? true : null))))));

    private static string EnvName(string parameter) => parameter.ToUpperInvariant().Replace('-', '_');

    public static string ExternalConnectionKey(BrokerResource broker) => $"{broker.Name}-connection-string";

    /// <summary>What KEDA's operator, in its own namespace, needs to reach an existing broker.</summary>
    public static string ExternalScalerKey(BrokerResource broker) =>
        broker is NatsResource ? $"{broker.Name}-monitoring-endpoint" : $"{broker.Name}-address";

    private static int Port(BrokerResource broker) => broker.Endpoint.TargetPort ?? 0;

    private Dictionary<string, object> ProjectService(ProjectResource project) => Map(
        ("apiVersion", "v1"),
        ("kind", "Service"),
        ("metadata", Metadata(project.Name)),
        ("spec", Map(
            ("type", "ClusterIP"),
            ("selector", Labels(project.Name)),
            ("ports", List(Map(("name", "http"), ("port", values.Value($"{project.Name}.service.port", 80)), ("targetPort", "http")))))));

    private Dictionary<string, object> Ingress(ProjectResource project)
    {
        var backend = Map(("service", Map(("name", project.Name), ("port", Map(("name", "http"))))));
        var path = Map(("path", "/"), ("pathType", "Prefix"), ("backend", backend));
        // No host: every host routed to the gateway; the ingress class and TLS go in annotations (JSON is YAML's flow form).
        var rule = Map(
            ("host", values.Computed("{{ .Values.ingress.host | quote }}", "", ("ingress.host", ""))),
            ("http", Map(("paths", List(path)))));
        var metadata = Metadata(project.Name);
        metadata["annotations"] = values.Computed("{{ toJson .Values.ingress.annotations }}", new Dictionary<string, object>(),
            ("ingress.annotations", new Dictionary<string, object>()));
        return Map(
            ("apiVersion", "networking.k8s.io/v1"),
            ("kind", "Ingress"),
            ("metadata", metadata),
            ("spec", Map(("rules", List(rule)))));
    }

    private Dictionary<string, object> Hpa(ProjectResource project, AutoscaleSettings cpu) => Map(
        ("apiVersion", "autoscaling/v2"),
        ("kind", "HorizontalPodAutoscaler"),
        ("metadata", Metadata(project.Name)),
        ("spec", Map(
            ("scaleTargetRef", Map(("apiVersion", "apps/v1"), ("kind", "Deployment"), ("name", project.Name))),
            ("minReplicas", values.Value($"{project.Name}.autoscaling.minReplicas", Math.Max(1, cpu.MinReplicas))),
            ("maxReplicas", values.Value($"{project.Name}.autoscaling.maxReplicas", cpu.MaxReplicas)),
            ("metrics", List(Map(
                ("type", "Resource"),
                ("resource", Map(
                    ("name", "cpu"),
                    ("target", Map(("type", "Utilization"), ("averageUtilization", values.Value($"{project.Name}.autoscaling.cpuUtilization", cpu.CpuUtilization))))))))))));

    /// <summary>What the scaler reads from the Secret: KEDA parameter -> secret key.</summary>
    private static List<(string Parameter, string Key)> ScalerSecrets(BrokerResource broker, bool external)
    {
        var refs = new List<(string, string)>();
        // nats-jetstream reads lag from the monitoring port, which needs no password; redis-streams logs in.
        if (broker is RedisResource && broker.Password is not null && !external) refs.Add(("password", broker.Password.Name));
        if (external) refs.Add((broker is NatsResource ? "natsServerMonitoringEndpoint" : "address", ExternalScalerKey(broker)));
        return refs;
    }

    private Dictionary<string, object> TriggerAuthentication(ProjectResource project, BrokerResource broker, bool external)
    {
        var refs = ScalerSecrets(broker, external)
            .Select(r => (object)Map(("parameter", r.Parameter), ("name", SecretName), ("key", r.Key)))
            .ToList();
        return Map(
            ("apiVersion", "keda.sh/v1alpha1"),
            ("kind", "TriggerAuthentication"),
            ("metadata", Metadata($"{project.Name}-{broker.Name}", project.Name)),
            ("spec", Map(("secretTargetRef", refs))));
    }

    /// <summary>One trigger per lane: KEDA scales on the largest lag of the three.</summary>
    private Dictionary<string, object> ScaledObject(ProjectResource project, AutoscaleSettings lag, BrokerResource broker, bool external)
    {
        var name = project.Name;
        // KEDA's trigger metadata is a map of strings: the lag target is quoted.
        var lagText = lag.LagTarget!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var target = values.Computed($"{{{{ .Values.{name}.autoscaling.lagTarget | quote }}}}", lagText, ($"{name}.autoscaling.lagTarget", lag.LagTarget.Value));
        var host = $"{broker.Name}.{values.Namespace}.svc.cluster.local";
        var triggers = new List<object>();
        foreach (var lane in DeploymentModel.Lanes)
        {
            Dictionary<string, object> metadata = broker switch
            {
                RedisResource => Map(
                    ("address", external ? null : $"{host}:{Port(broker)}"),
                    ("stream", $"{{{model.QueuePrefix}}}:events:{lane}"),
                    ("consumerGroup", model.ConsumerGroup),
                    ("lagCount", target)),
                NatsResource nats => Map(
                    ("natsServerMonitoringEndpoint", external ? null : $"{host}:{nats.MonitoringPort}"),
                    ("account", "$G"), // the global account: nats-server's --user/--pass users live there
                    ("stream", $"{model.QueuePrefix}-events"),
                    ("consumer", $"{model.ConsumerGroup}-{lane}"),
                    ("lagThreshold", target),
                    ("useHttps", "false")),
                _ => throw new PublishingException($"KEDA has no scaler for resource '{broker.Name}' ({broker.GetType().Name})"),
            };
            triggers.Add(Map(
                ("type", broker is NatsResource ? "nats-jetstream" : "redis-streams"),
                ("name", $"{broker.Name}-{lane}"),
                ("metadata", metadata),
                ("authenticationRef", ScalerSecrets(broker, external).Count > 0 ? Map(("name", $"{name}-{broker.Name}")) : null)));
        }
        return Map(
            ("apiVersion", "keda.sh/v1alpha1"),
            ("kind", "ScaledObject"),
            ("metadata", Metadata(name)),
            ("spec", Map(
                ("scaleTargetRef", Map(("name", name))),
                ("minReplicaCount", values.Value($"{name}.autoscaling.minReplicas", lag.MinReplicas)),
                ("maxReplicaCount", values.Value($"{name}.autoscaling.maxReplicas", lag.MaxReplicas)),
                ("pollingInterval", values.Value($"{name}.autoscaling.pollingInterval", 15)),
                ("cooldownPeriod", values.Value($"{name}.autoscaling.cooldownPeriod", 300)),
                ("triggers", triggers))));
    }

    private Dictionary<string, object> Pdb(ProjectResource project) => Map(
        ("apiVersion", "policy/v1"),
        ("kind", "PodDisruptionBudget"),
        ("metadata", Metadata(project.Name)),
        ("spec", Map(
            ("maxUnavailable", 1),
            ("selector", Map(("matchLabels", Labels(project.Name)))))));

    private Dictionary<string, object> BrokerStatefulSet(BrokerResource broker)
    {
        var name = broker.Name;
        var uid = BrokerUsers.GetValueOrDefault(broker.QueueType, 1000);
        var env = new List<object>();
        string? password = null;
        if (broker.Password is not null)
        {
            var variable = EnvName(broker.Password.Name);
            env.Add(SecretEnv(variable, broker.Password.Name));
            password = $"$({variable})";
        }
        var ports = new List<object> { Map(("name", "tcp"), ("containerPort", Port(broker))) };
        if (broker is NatsResource nats) ports.Add(Map(("name", "monitoring"), ("containerPort", nats.MonitoringPort)));
        var container = Map(
            ("name", name),
            ("image", values.Computed(
                $"{{{{ .Values.{name}.image.registry }}}}/{{{{ .Values.{name}.image.repository }}}}:{{{{ .Values.{name}.image.tag }}}}",
                broker.Image.ToString(),
                ($"{name}.image.registry", broker.Image.Registry), ($"{name}.image.repository", broker.Image.Repository), ($"{name}.image.tag", broker.Image.Tag))),
            ("args", List([.. broker.ContainerArgs(password)])),
            ("env", env.Count > 0 ? env : null),
            ("ports", ports),
            ("readinessProbe", Map(("tcpSocket", Map(("port", "tcp"))), ("periodSeconds", 5))),
            ("livenessProbe", Map(("tcpSocket", Map(("port", "tcp"))), ("initialDelaySeconds", 15), ("periodSeconds", 10))),
            ("resources", Resources(broker, Defaults.Broker)),
            ("securityContext", ContainerSecurity()),
            ("volumeMounts", List(Map(("name", broker.Volume.Name), ("mountPath", broker.Volume.MountPath)))));
        return Map(
            ("apiVersion", "apps/v1"),
            ("kind", "StatefulSet"),
            ("metadata", Metadata(name)),
            ("spec", Map(
                ("serviceName", name),
                ("replicas", 1),
                ("selector", Map(("matchLabels", Labels(name)))),
                ("template", Map(
                    ("metadata", Map(("labels", Labels(name)))),
                    ("spec", Map(
                        ("automountServiceAccountToken", false),
                        ("securityContext", PodSecurity(uid)),
                        ("containers", List(container)))))),
                ("volumeClaimTemplates", List(Map(
                    ("metadata", Map(("name", broker.Volume.Name))),
                    ("spec", Map(
                        ("accessModes", List("ReadWriteOnce")),
                        ("resources", Map(("requests", Map(("storage", values.Value($"{name}.persistence.size", broker.Volume.Size))))))))))))));
    }

    private Dictionary<string, object> BrokerService(BrokerResource broker)
    {
        var ports = new List<object> { Map(("name", "tcp"), ("port", Port(broker)), ("targetPort", "tcp")) };
        if (broker is NatsResource nats) ports.Add(Map(("name", "monitoring"), ("port", nats.MonitoringPort), ("targetPort", "monitoring")));
        return Map(
            ("apiVersion", "v1"),
            ("kind", "Service"),
            ("metadata", Metadata(broker.Name)),
            ("spec", Map(("type", "ClusterIP"), ("selector", Labels(broker.Name)), ("ports", ports))));
    }

    /// <summary>Every secret key the objects read, with no value: the operator fills it (see docs/deployment.md).</summary>
    private Dictionary<string, object> SecretTemplate(BrokerResource? broker, bool external)
    {
        var keys = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var parameter in model.Projects.SelectMany(p => p.ParameterEnvironment.Values).Where(p => p.Secret)) keys[parameter.Name] = "";
        if (broker is not null && !external && broker.Password is not null) keys[broker.Password.Name] = "";
        if (broker is not null && external)
        {
            keys[ExternalConnectionKey(broker)] = "";
            keys[ExternalScalerKey(broker)] = "";
        }
        return Map(
            ("apiVersion", "v1"),
            ("kind", "Secret"),
            ("metadata", Metadata(SecretName, "secrets")),
            ("type", "Opaque"),
            ("stringData", new Dictionary<string, object>(keys)));
    }

    private Dictionary<string, object> Resources(Resource resource, ComputeResources defaults)
    {
        var c = resource.Compute ?? defaults;
        var n = resource.Name;
        return Map(
            ("requests", Map(("cpu", values.Value($"{n}.resources.requests.cpu", c.CpuRequest)), ("memory", values.Value($"{n}.resources.requests.memory", c.MemoryRequest)))),
            ("limits", Map(("cpu", values.Value($"{n}.resources.limits.cpu", c.CpuLimit)), ("memory", values.Value($"{n}.resources.limits.memory", c.MemoryLimit)))));
    }

    /// <summary>The "restricted" Pod Security Standard.</summary>
    private static Dictionary<string, object> PodSecurity(int uid) => Map(
        ("runAsNonRoot", true),
        ("runAsUser", uid),
        ("runAsGroup", uid),
        ("fsGroup", uid),
        ("seccompProfile", Map(("type", "RuntimeDefault"))));

    private static Dictionary<string, object> ContainerSecurity() => Map(
        ("allowPrivilegeEscalation", false),
        ("readOnlyRootFilesystem", true),
        ("capabilities", Map(("drop", List("ALL")))));

    private static class Defaults
    {
        public static readonly ComputeResources Project = new("100m", "128Mi", "500m", "512Mi");
        public static readonly ComputeResources Broker = new("100m", "256Mi", "1", "1Gi");
    }
}

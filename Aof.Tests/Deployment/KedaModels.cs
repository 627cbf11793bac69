using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Aof.Tests.Deployment;

// KEDA's custom resources, typed like KubernetesClient's models, so a strict parse rejects any field KEDA does not
// define (the subset of keda.sh/v1alpha1 AOF writes; an unexpected field is a failure, not ignored).

[KubernetesEntity(Group = "keda.sh", Kind = "ScaledObject", ApiVersion = "v1alpha1", PluralName = "scaledobjects")]
public sealed class KedaScaledObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public KedaScaledObjectSpec Spec { get; set; } = new();
}

public sealed class KedaScaledObjectSpec
{
    [JsonPropertyName("scaleTargetRef")] public KedaScaleTarget ScaleTargetRef { get; set; } = new();
    [JsonPropertyName("minReplicaCount")] public int? MinReplicaCount { get; set; }
    [JsonPropertyName("maxReplicaCount")] public int? MaxReplicaCount { get; set; }
    [JsonPropertyName("pollingInterval")] public int? PollingInterval { get; set; }
    [JsonPropertyName("cooldownPeriod")] public int? CooldownPeriod { get; set; }
    [JsonPropertyName("triggers")] public List<KedaTrigger> Triggers { get; set; } = [];
}

public sealed class KedaScaleTarget
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; set; }
}

public sealed class KedaTrigger
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, string> Metadata { get; set; } = [];
    [JsonPropertyName("authenticationRef")] public KedaAuthenticationRef? AuthenticationRef { get; set; }
}

public sealed class KedaAuthenticationRef
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
}

[KubernetesEntity(Group = "keda.sh", Kind = "TriggerAuthentication", ApiVersion = "v1alpha1", PluralName = "triggerauthentications")]
public sealed class KedaTriggerAuthentication : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public KedaTriggerAuthenticationSpec Spec { get; set; } = new();
}

public sealed class KedaTriggerAuthenticationSpec
{
    [JsonPropertyName("secretTargetRef")] public List<KedaSecretTargetRef> SecretTargetRef { get; set; } = [];
}

public sealed class KedaSecretTargetRef
{
    [JsonPropertyName("parameter")] public string Parameter { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("key")] public string Key { get; set; } = "";
}

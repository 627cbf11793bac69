namespace Aof.AppHost.Publishing.Kubernetes;

/// <summary>
/// One Kubernetes object, the file it goes into, and the values.yaml condition under which a Helm chart renders it
/// (a template expression such as <c>.Values.worker.autoscaling.enabled</c>; null: always).
/// </summary>
public sealed record KubernetesDocument(string File, Dictionary<string, object> Body, string? Condition = null)
{
    public string Kind => (string)Body["kind"];

    public string Name => (string)((Dictionary<string, object>)Body["metadata"])["name"];
}

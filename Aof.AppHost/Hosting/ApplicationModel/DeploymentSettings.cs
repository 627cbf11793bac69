namespace Aof.AppHost.Hosting.ApplicationModel;

/// <summary>A container image: <c>{Registry}/{Repository}:{Tag}</c>.</summary>
public sealed record ContainerImage(string Registry, string Repository, string Tag)
{
    public override string ToString() => $"{Registry}/{Repository}:{Tag}";
}

/// <summary>CPU (cores, e.g. "250m") and memory ("256Mi") a replica asks for and may not exceed.</summary>
public sealed record ComputeResources(string CpuRequest, string MemoryRequest, string CpuLimit, string MemoryLimit);

/// <summary>
/// How a deployment scales a resource: between <see cref="MinReplicas"/> and <see cref="MaxReplicas"/>, on queue lag
/// (messages waiting per lane, KEDA) when <see cref="LagTarget"/> is set, else on CPU (<see cref="CpuUtilization"/> %).
/// </summary>
public sealed record AutoscaleSettings(int MinReplicas, int MaxReplicas, int? LagTarget = null, int CpuUtilization = 70)
{
    public bool OnQueueLag => LagTarget is not null;
}

/// <summary>A persistent volume of a broker: its name, where it is mounted and its size.</summary>
public sealed record VolumeSettings(string Name, string MountPath, string Size);

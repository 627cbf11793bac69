namespace Aof.Core.Resources;

/// <summary>Every loaded resource, by kind and name. Immutable after load.</summary>
public sealed class ResourceCatalog
{
    public IReadOnlyDictionary<string, AgentResource> Agents { get; init; } = new Dictionary<string, AgentResource>();
    public IReadOnlyDictionary<string, AgentFleetResource> Fleets { get; init; } = new Dictionary<string, AgentFleetResource>();
    public IReadOnlyDictionary<string, AgentFlowResource> Flows { get; init; } = new Dictionary<string, AgentFlowResource>();
    public IReadOnlyList<TriggerResource> Triggers { get; init; } = [];
    public DaemonConfigResource? DaemonConfig { get; init; }

    public static ResourceCatalog Empty { get; } = new();
}

/// <summary>One problem in one resource file: which file, which document, which field, what is wrong.</summary>
public sealed record ResourceError(string File, int? Document, string? Field, string Message)
{
    public override string ToString()
    {
        var where = Document is { } d ? $"{File} (document {d})" : File;
        return Field is null ? $"{where}: {Message}" : $"{where}: {Field}: {Message}";
    }
}

/// <summary>Thrown when loading found errors; carries all of them, not just the first.</summary>
public sealed class ResourceLoadException(IReadOnlyList<ResourceError> errors)
    : Exception($"{errors.Count} resource error(s):{Environment.NewLine}" + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<ResourceError> Errors { get; } = errors;
}

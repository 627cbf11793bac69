using System.Text.Json.Nodes;

namespace Aof.Core.Resources;

/// <summary>Where a resource came from, for error messages: file and 1-based document index.</summary>
public sealed record ResourceSource(string File, int Document)
{
    public override string ToString() => $"{File} (document {Document})";
}

public sealed class ResourceMetadata
{
    public required string Name { get; init; }
    public string? Namespace { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary>An AOF resource (<c>apiVersion: aof.dev/v1</c>). <see cref="Spec"/> keeps the document's spec as JSON.</summary>
public abstract class Resource
{
    public required string ApiVersion { get; init; }
    public required ResourceMetadata Metadata { get; init; }
    public required ResourceSource Source { get; init; }

    /// <summary>The whole <c>spec</c>, after <c>${ENV}</c> expansion, for fields a typed view does not cover.</summary>
    public required JsonObject Spec { get; init; }

    public abstract string Kind { get; }
    public string Name => Metadata.Name;
}

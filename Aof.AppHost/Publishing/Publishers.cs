using Aof.AppHost.Publishing.Helm;
using Aof.AppHost.Publishing.Kubernetes;
using Aof.AppHost.Publishing.Manifest;

namespace Aof.AppHost.Publishing;

/// <summary>Writes the app model as deployment files: every file in memory first, then all at once.</summary>
public interface IPublisher
{
    string Name { get; }

    /// <summary>True: <c>--output-path</c> names one file; false: a folder.</summary>
    bool WritesSingleFile { get; }

    /// <summary>The files to write, by path relative to the output folder (a single-file publisher returns one, named "").</summary>
    /// <exception cref="PublishingException">The model holds something this publisher cannot express.</exception>
    IReadOnlyDictionary<string, string> Generate(DeploymentModel model);

    /// <summary>Whether an existing file at the output path is an earlier output, which may be replaced (single-file publishers).</summary>
    bool IsOwnOutput(string existingText) => false;
}

/// <summary>The publishers <c>--publisher</c> accepts.</summary>
public static class Publishers
{
    public static IReadOnlyList<string> Names { get; } = ["manifest", "kubernetes", "helm"];

    public static IPublisher Create(string name) => name switch
    {
        "manifest" => new ManifestPublisher(),
        "kubernetes" => new KubernetesPublisher(),
        "helm" => new HelmPublisher(),
        _ => throw new ArgumentException($"unknown publisher '{name}'; the publishers are: {string.Join(", ", Names)}"),
    };
}

/// <summary>The model cannot be written by a publisher (the message names the resource), or the output cannot be written.</summary>
public sealed class PublishingException(string message, Exception? inner = null) : Exception(message, inner);

using System.Text.Json.Nodes;
using Aof.Core.Resources;
using Aof.Core.Resources.Loading;

namespace Aof.Core.Configuration;

/// <summary>
/// Reads a DaemonConfig YAML and flattens its <c>spec</c> into configuration keys under "Aof":
/// snake_case segments become PascalCase (<c>queue.max_retries</c> -> <c>Aof:Queue:MaxRetries</c>) and list
/// items are indexed (<c>:0</c>, <c>:1</c>). The resource directories AOF names in the spec are resolved against
/// the file's folder and listed as <c>Aof:ResourceDirectories:N</c> (the file's folder when none is named).
/// </summary>
public static class DaemonConfigFile
{
    public const string ResourceDirectoriesKey = "ResourceDirectories";

    // AOF's discovery settings, plus our single-root resources_directory.
    private static readonly string[][] DirectoryPaths =
    [
        ["resources_directory"],
        ["agents", "directory"],
        ["fleets", "directory"],
        ["flows", "directory"],
        ["triggers", "directory"],
    ];

    public static IReadOnlyDictionary<string, string?> Read(string path, Func<string, string?>? env = null)
    {
        var file = Path.GetFullPath(path);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"AOF daemon config file not found: {file}", file);
        }

        var errors = new List<ResourceError>();
        var documents = YamlFileReader.Read(file, env ?? EnvironmentExpander.ProcessEnvironment, errors)
            .Where(d => d.Root is not null)
            .ToList();
        if (errors.Count == 0 && documents.Count != 1)
        {
            errors.Add(new ResourceError(file, null, null, $"expected exactly one DaemonConfig document, found {documents.Count} documents"));
        }

        if (errors.Count > 0)
        {
            throw new ResourceLoadException(errors);
        }

        var ctx = new DocumentContext(documents[0], errors);
        var envelope = ResourceEnvelope.Read(documents[0].Root, ctx);
        if (envelope is not null && envelope.Kind != ResourceKinds.DaemonConfig)
        {
            ctx.Error("kind", $"must be {ResourceKinds.DaemonConfig}, not '{envelope.Kind}'", null);
        }

        var mode = ctx.String(envelope?.Spec ?? new JsonObject(), "mode", "spec", required: false);
        if (mode is not null && !AofModes.IsValid(mode))
        {
            ctx.Error("spec.mode", $"must be {AofModes.Standalone}, {AofModes.Gateway} or {AofModes.Worker}, not '{mode}'", null);
        }

        if (errors.Count > 0 || envelope is null)
        {
            throw new ResourceLoadException(errors);
        }

        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Flatten(envelope.Spec, AofOptions.Section, data, ctx);
        AddResourceDirectories(envelope.Spec, Path.GetDirectoryName(file)!, data, ctx);
        return data;
    }

    private static void Flatten(JsonNode? node, string prefix, Dictionary<string, string?> data, DocumentContext ctx)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Flatten(value, $"{prefix}:{ToPascalCase(key)}", data, ctx);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Flatten(array[i], $"{prefix}:{i}", data, ctx);
                }

                break;
            default:
                data[prefix] = ctx.ScalarText(node);
                break;
        }
    }

    private static void AddResourceDirectories(JsonObject spec, string baseDirectory, Dictionary<string, string?> data, DocumentContext ctx)
    {
        var directories = new List<string>();
        foreach (var segments in DirectoryPaths)
        {
            JsonNode? node = spec;
            foreach (var segment in segments)
            {
                node = (node as JsonObject)?[segment];
            }

            var value = ctx.ScalarText(node);
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            var resolved = Path.GetFullPath(Path.Combine(baseDirectory, value.Trim()));
            data[$"{AofOptions.Section}:{string.Join(':', segments.Select(ToPascalCase))}"] = resolved;
            if (!directories.Contains(resolved, StringComparer.Ordinal))
            {
                directories.Add(resolved);
            }
        }

        if (directories.Count == 0)
        {
            directories.Add(Path.GetFullPath(baseDirectory));
        }

        for (var i = 0; i < directories.Count; i++)
        {
            data[$"{AofOptions.Section}:{ResourceDirectoriesKey}:{i}"] = directories[i];
        }
    }

    /// <summary>
    /// <c>max_retries</c> -> <c>MaxRetries</c>. Keys that are not lower snake/kebab case (user data such as
    /// environment variable names) are kept as written.
    /// </summary>
    public static string ToPascalCase(string key)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-')))
        {
            return key;
        }

        return string.Concat(key.Split('_', '-').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }
}

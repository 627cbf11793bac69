using System.Text.Json.Nodes;
using Aof.Core.Events;

namespace Aof.Core.Resources.Loading;

/// <summary>
/// Loads every AOF resource (<c>*.yaml</c>, <c>*.yml</c>) under the given directories into a <see cref="ResourceCatalog"/>.
/// Files are read in sorted order so the result does not depend on the file system. All problems of all files
/// are collected and thrown together as one <see cref="ResourceLoadException"/>, so a bad tree is fixed in one pass.
/// </summary>
public static class ResourceLoader
{
    public static ResourceCatalog Load(IEnumerable<string> directories, Func<string, string?>? env = null)
    {
        env ??= EnvironmentExpander.ProcessEnvironment;
        var errors = new List<ResourceError>();
        var state = new CatalogBuilder(errors);

        foreach (var file in FindFiles(directories, errors))
        {
            foreach (var document in YamlFileReader.Read(file, env, errors))
            {
                state.Add(document);
            }
        }

        state.CheckReferences();
        if (errors.Count > 0)
        {
            throw new ResourceLoadException(errors);
        }

        return state.ToCatalog();
    }

    /// <summary>YAML files under each directory (a YAML file may be named directly), deduplicated and sorted.</summary>
    internal static IReadOnlyList<string> FindFiles(IEnumerable<string> directories, ICollection<ResourceError> errors)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        foreach (var directory in directories)
        {
            var full = Path.GetFullPath(directory);
            if (File.Exists(full) && IsYaml(full))
            {
                files.Add(full);
            }
            else if (Directory.Exists(full))
            {
                files.UnionWith(Directory.EnumerateFiles(full, "*", options).Where(IsYaml));
            }
            else
            {
                errors.Add(new ResourceError(full, null, null, "resource directory not found"));
            }
        }

        return [.. files];
    }

    private static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Accumulates resources by kind, rejecting duplicates, then checks cross-references.</summary>
    private sealed class CatalogBuilder(List<ResourceError> errors)
    {
        private readonly Dictionary<string, AgentResource> _agents = new(StringComparer.Ordinal);
        private readonly Dictionary<string, AgentFleetResource> _fleets = new(StringComparer.Ordinal);
        private readonly Dictionary<string, AgentFlowResource> _flows = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TriggerResource> _triggers = new(StringComparer.Ordinal);
        private readonly List<TriggerResource> _triggerOrder = [];
        private readonly List<ResourceReference> _references = [];
        private DaemonConfigResource? _daemonConfig;

        public void Add(YamlDocumentData document)
        {
            if (document.Root is null)
            {
                return; // an empty document (a stray "---" or a comment-only file)
            }

            var ctx = new DocumentContext(document, errors);
            var envelope = ResourceEnvelope.Read(document.Root, ctx);
            if (envelope is null)
            {
                return;
            }

            var nameLine = (document.Root as JsonObject)?["metadata"] is JsonObject meta
                ? ctx.LineOf(meta, "name")
                : null;
            switch (envelope.Kind)
            {
                case ResourceKinds.Agent:
                    AddUnique(_agents, AgentBuilder.BuildAgent(envelope, ctx), ctx, nameLine);
                    break;
                case ResourceKinds.AgentFleet:
                    AddUnique(_fleets, AgentBuilder.BuildFleet(envelope, ctx), ctx, nameLine);
                    break;
                case ResourceKinds.AgentFlow:
                    AddUnique(_flows, AgentFlowBuilder.Build(envelope, ctx), ctx, nameLine);
                    break;
                case ResourceKinds.Trigger:
                    var trigger = TriggerBuilder.Build(envelope, ctx, _references);
                    if (AddUnique(_triggers, trigger, ctx, nameLine))
                    {
                        _triggerOrder.Add(trigger);
                    }

                    break;
                case ResourceKinds.DaemonConfig:
                    var daemon = new DaemonConfigResource
                    {
                        ApiVersion = envelope.ApiVersion,
                        Metadata = envelope.Metadata,
                        Source = ctx.Source,
                        Spec = envelope.Spec,
                    };
                    if (_daemonConfig is { } first)
                    {
                        ctx.Error(null, $"more than one DaemonConfig in the resource tree (first: {first.Source})", ctx.Map.LineOf(document.Root));
                    }
                    else
                    {
                        _daemonConfig = daemon;
                    }

                    break;
            }
        }

        private static bool AddUnique<T>(Dictionary<string, T> byName, T resource, DocumentContext ctx, int? line)
            where T : Resource
        {
            if (byName.TryGetValue(resource.Name, out var first))
            {
                ctx.Error("metadata.name", $"duplicate {resource.Kind} name '{resource.Name}': also defined in {first.Source}", line);
                return false;
            }

            byName[resource.Name] = resource;
            return true;
        }

        public void CheckReferences()
        {
            foreach (var r in _references)
            {
                var (exists, kind) = r.Kind switch
                {
                    TargetKind.Agent => (_agents.ContainsKey(r.Name), ResourceKinds.Agent),
                    TargetKind.Fleet => (_fleets.ContainsKey(r.Name), ResourceKinds.AgentFleet),
                    _ => (_flows.ContainsKey(r.Name), ResourceKinds.AgentFlow),
                };
                if (!exists)
                {
                    var where = r.Line is { } l ? $" (line {l})" : "";
                    errors.Add(new ResourceError(r.File, r.Document, r.Field, $"no {kind} named '{r.Name}' is loaded{where}"));
                }
            }
        }

        public ResourceCatalog ToCatalog() => new()
        {
            Agents = _agents,
            Fleets = _fleets,
            Flows = _flows,
            Triggers = _triggerOrder,
            DaemonConfig = _daemonConfig,
        };
    }
}

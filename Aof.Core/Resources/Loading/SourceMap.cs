using System.Text.Json.Nodes;

namespace Aof.Core.Resources.Loading;

/// <summary>Where a converted node stood in the YAML, and what its scalar text was after expansion.</summary>
internal sealed record NodeInfo(int Line, string? Text, IReadOnlyList<string> EmptyVariables);

/// <summary>
/// Line numbers and scalar details of one converted document, kept beside the JSON tree
/// (JsonNode has no slot for them). Keyed by node identity; null values are found through their key.
/// </summary>
internal sealed class SourceMap
{
    private readonly Dictionary<JsonNode, NodeInfo> _nodes = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(JsonObject Owner, string Key), NodeInfo> _keys = new(KeyComparer.Instance);

    public void Add(JsonNode node, NodeInfo info) => _nodes[node] = info;

    public void AddKey(JsonObject owner, string key, NodeInfo valueInfo) => _keys[(owner, key)] = valueInfo;

    public NodeInfo? Get(JsonNode? node) => node is not null && _nodes.TryGetValue(node, out var info) ? info : null;

    /// <summary>The value's info under a key (also for null values, which have no node of their own).</summary>
    public NodeInfo? Get(JsonObject owner, string key) => _keys.TryGetValue((owner, key), out var info) ? info : Get(owner);

    public int? LineOf(JsonNode? node) => Get(node)?.Line;

    private sealed class KeyComparer : IEqualityComparer<(JsonObject Owner, string Key)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((JsonObject Owner, string Key) x, (JsonObject Owner, string Key) y) =>
            ReferenceEquals(x.Owner, y.Owner) && string.Equals(x.Key, y.Key, StringComparison.Ordinal);

        public int GetHashCode((JsonObject Owner, string Key) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Owner), StringComparer.Ordinal.GetHashCode(obj.Key));
    }
}

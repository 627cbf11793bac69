using YamlDotNet.Serialization;

namespace Aof.AppHost.Publishing.Kubernetes;

/// <summary>Kubernetes objects as ordered maps, written as YAML documents (keys in the order given, nulls left out).</summary>
public static class Yaml
{
    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .DisableAliases()
        .Build();

    /// <summary>A map of the pairs whose value is not null.</summary>
    public static Dictionary<string, object> Map(params (string Key, object? Value)[] pairs)
    {
        var map = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            if (value is not null) map[key] = value;
        }
        return map;
    }

    public static List<object> List(params object[] items) => [.. items];

    public static string Serialize(object value) => Serializer.Serialize(value).ReplaceLineEndings("\n");

    /// <summary>Several objects as one multi-document file.</summary>
    public static string Documents(IEnumerable<object> objects) =>
        string.Join("---\n", objects.Select(Serialize));
}

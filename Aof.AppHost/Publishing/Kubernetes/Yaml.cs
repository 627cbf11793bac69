using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;

namespace Aof.AppHost.Publishing.Kubernetes;

/// <summary>Kubernetes objects as ordered maps, written as YAML documents (keys in the order given, nulls left out).</summary>
public static class Yaml
{
    private static readonly ISerializer Serializer = new SerializerBuilder()
        // YAML 1.1 readers (Kubernetes, Helm) take yes/no/on/off as booleans: such strings are quoted too.
        .WithQuotingNecessaryStrings(quoteYaml1_1Strings: true)
        .WithEventEmitter(next => new LiteralMultilineEmitter(next))
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

    /// <summary>Multi-line strings (the files of the ConfigMap) as literal blocks, readable and diffable.</summary>
    private sealed class LiteralMultilineEmitter(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text && text.Contains('\n') && !text.Split('\n').Any(l => l.EndsWith(' ') || l.Contains('\t')))
                eventInfo.Style = ScalarStyle.Literal;
            base.Emit(eventInfo, emitter);
        }
    }
}

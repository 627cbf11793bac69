using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Aof.Core.Resources.Loading;

/// <summary>One YAML document of a file, converted to JSON. <see cref="Index"/> is 1-based.</summary>
internal sealed record YamlDocumentData(string File, int Index, JsonNode? Root, SourceMap Map);

/// <summary>Reads every document of a YAML file; reports syntax errors with their file, document and line.</summary>
internal static partial class YamlFileReader
{
    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", RegexOptions.CultureInvariant)]
    private static partial Regex MarkPrefix();

    public static IReadOnlyList<YamlDocumentData> Read(string file, Func<string, string?> env, ICollection<ResourceError> errors)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ResourceError(file, null, null, $"cannot read file: {ex.Message}"));
            return [];
        }

        return Parse(file, text, env, errors);
    }

    public static IReadOnlyList<YamlDocumentData> Parse(string file, string text, Func<string, string?> env, ICollection<ResourceError> errors)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            // Documents before the broken one were loaded and are still used; the file's remainder is not.
            var message = MarkPrefix().Replace(ex.Message, "");
            errors.Add(new ResourceError(file, stream.Documents.Count + 1, null,
                $"YAML syntax error at line {ex.Start.Line}, column {ex.Start.Column}: {message}"));
        }

        var documents = new List<YamlDocumentData>(stream.Documents.Count);
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            var map = new SourceMap();
            var converter = new YamlJsonConverter(env, map);
            JsonNode? root;
            try
            {
                root = converter.Convert(stream.Documents[i].RootNode);
            }
            catch (YamlJsonConverter.DocumentTooLargeException ex)
            {
                errors.Add(new ResourceError(file, i + 1, null, ex.Message));
                continue;
            }

            foreach (var p in converter.Problems)
            {
                errors.Add(new ResourceError(file, i + 1, p.Path.Length == 0 ? null : p.Path, $"{p.Message} (line {p.Line})"));
            }

            documents.Add(new YamlDocumentData(file, i + 1, root, map));
        }

        return documents;
    }
}

namespace Aof.Tests.Resources;

/// <summary>A throw-away directory of YAML files for loader tests; deleted on dispose.</summary>
public sealed class TempTree : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("aof-res-").FullName;

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind does not fail a test
        }
    }
}

public static class TestEnv
{
    public static Func<string, string?> Of(params (string Name, string Value)[] vars)
    {
        var d = vars.ToDictionary(v => v.Name, v => v.Value);
        return name => d.TryGetValue(name, out var v) ? v : null;
    }

    public static readonly Func<string, string?> Empty = _ => null;
}

namespace Aof.AppHost.ResourceTree;

/// <summary>
/// The files of a DaemonConfig folder that the services load (every <c>.yaml</c>/<c>.yml</c> below it, hidden files and
/// folders left out): what a deployment mounts as a ConfigMap, and what <see cref="SecretVariables"/> reads.
/// </summary>
public static class ResourceFolder
{
    /// <summary>File path relative to <paramref name="folder"/> (forward slashes) -> content, sorted by path.</summary>
    public static SortedDictionary<string, string> Read(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.Split('/').Any(part => part.StartsWith('.'))) continue;
            if (Path.GetExtension(file) is not (".yaml" or ".yml")) continue;
            files[relative] = File.ReadAllText(file).ReplaceLineEndings("\n");
        }
        return files;
    }
}

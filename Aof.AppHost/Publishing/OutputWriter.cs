namespace Aof.AppHost.Publishing;

/// <summary>
/// Writes a publisher's files so that a failure leaves nothing half-written: everything goes to a staging file or
/// folder beside the target first, and only a complete staging copy replaces the target (a rename).
/// </summary>
public static class OutputWriter
{
    public static void WriteFile(string path, string content)
    {
        var staging = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(staging, content);
            File.Move(staging, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(staging);
            throw new PublishingException($"cannot write {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Replaces the folder <paramref name="path"/> with exactly <paramref name="files"/> (relative path -> content).</summary>
    public static void WriteFolder(string path, IReadOnlyDictionary<string, string> files)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(full)) throw new PublishingException($"cannot write {full}: it is a file, and this publisher writes a folder");
        var staging = $"{full}.{Guid.NewGuid():N}.tmp";
        var previous = $"{full}.{Guid.NewGuid():N}.old";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            Directory.CreateDirectory(staging);
            foreach (var (relative, content) in files)
            {
                var file = Path.Combine(staging, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, content);
            }
            if (Directory.Exists(full)) Directory.Move(full, previous);
            Directory.Move(staging, full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Put back what was there if the swap got half-way.
            if (!Directory.Exists(full) && Directory.Exists(previous)) Directory.Move(previous, full);
            TryDelete(staging);
            throw new PublishingException($"cannot write {full}: {ex.Message}", ex);
        }
        TryDelete(previous);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leftover staging in a folder we could not write to anyway; nothing of the target was touched.
        }
    }
}

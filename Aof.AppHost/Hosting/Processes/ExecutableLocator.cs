namespace Aof.AppHost.Hosting.Processes;

/// <summary>Finds an executable on PATH and in the sbin folders (Debian puts nats-server in /usr/sbin).</summary>
public static class ExecutableLocator
{
    private static readonly string[] ExtraFolders = ["/usr/sbin", "/usr/local/sbin"];

    public static string? Find(string name)
    {
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        var folders = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        // A missing broker on a restricted PATH is still found where packages install it.
        foreach (var folder in folders.Concat(name == "dotnet" ? [] : ExtraFolders))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The dotnet host that runs this process (dotnet run/test set DOTNET_HOST_PATH), else the one on PATH.</summary>
    public static string Dotnet()
    {
        if (System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (System.Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return Find("dotnet") ?? "dotnet";
    }
}

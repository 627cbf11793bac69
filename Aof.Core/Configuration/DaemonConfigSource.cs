using Microsoft.Extensions.Configuration;

namespace Aof.Core.Configuration;

/// <summary>A DaemonConfig YAML as a configuration source (see <see cref="DaemonConfigFile"/>). Read once, when built.</summary>
public sealed class DaemonConfigSource(string path, Func<string, string?>? env = null) : IConfigurationSource
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new DaemonConfigProvider(Path, env);

    private sealed class DaemonConfigProvider(string path, Func<string, string?>? env) : ConfigurationProvider
    {
        public override void Load() =>
            Data = new Dictionary<string, string?>(DaemonConfigFile.Read(path, env), StringComparer.OrdinalIgnoreCase);
    }
}

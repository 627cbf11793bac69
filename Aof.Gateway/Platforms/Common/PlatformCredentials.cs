using Aof.Core.Configuration;

namespace Aof.Gateway.Platforms.Common;

/// <summary>A tenant (GitHub organization, GitLab group) with its own webhook secret and API token.</summary>
public sealed record TenantCredentials(string Name, string WebhookSecret, string? Token);

/// <summary>
/// The daemon's <c>platforms</c> section (<c>Aof:Platforms</c>): platform-wide secrets and the tenants of
/// GitHub and GitLab, every secret named by an environment variable (<c>*_env</c>) and read once at start.
/// Every <c>*_env</c> of an enabled platform must name a non-empty variable; otherwise the gateway does not
/// start, and the error names the variable (a webhook must never be checked against an empty secret).
/// </summary>
public sealed class PlatformCredentials
{
    public const string Section = AofOptions.Section + ":Platforms";

    private readonly IConfiguration _configuration;
    private readonly Func<string, string?> _env;
    private readonly Dictionary<string, IReadOnlyList<TenantCredentials>> _tenants = new(StringComparer.OrdinalIgnoreCase);

    public PlatformCredentials(IConfiguration configuration) : this(configuration, Environment.GetEnvironmentVariable) { }

    public PlatformCredentials(IConfiguration configuration, Func<string, string?> env)
    {
        _configuration = configuration;
        _env = env;
        var errors = new List<string>();
        foreach (var platform in configuration.GetSection(Section).GetChildren())
        {
            if (!IsEnabled(platform)) continue;
            CheckEnvNames(platform, $"platforms.{platform.Key.ToLowerInvariant()}", errors);
        }
        if (errors.Count > 0) throw new PlatformConfigurationException(string.Join(Environment.NewLine, errors));

        _tenants["github"] = ReadTenants("github", "organizations");
        _tenants["gitlab"] = ReadTenants("gitlab", "groups");
    }

    /// <summary>GitHub organizations (<c>platforms.github.organizations[]</c>); empty when not configured.</summary>
    public IReadOnlyList<TenantCredentials> GitHubOrganizations => _tenants["github"];

    /// <summary>GitLab groups (<c>platforms.gitlab.groups[]</c>); empty when not configured.</summary>
    public IReadOnlyList<TenantCredentials> GitLabGroups => _tenants["gitlab"];

    /// <summary>
    /// The platform-wide value of <paramref name="key"/> (snake_case, e.g. <c>signing_secret</c>): the variable
    /// named by <c>platforms.{platform}.{key}_env</c>, or null when that is not configured.
    /// </summary>
    public string? PlatformSecret(string platform, string key)
    {
        var section = PlatformSection(platform);
        if (section is null || !IsEnabled(section)) return null;
        var name = section[DaemonConfigFile.ToPascalCase(key + "_env")];
        return string.IsNullOrWhiteSpace(name) ? null : _env(name.Trim());
    }

    /// <summary>"platforms.slack.signing_secret_env" as the operator writes it, for error messages.</summary>
    public static string SettingName(string platform, string key) => $"platforms.{platform}.{key}_env";

    private IConfigurationSection? PlatformSection(string platform) =>
        _configuration.GetSection(Section).GetChildren().FirstOrDefault(c => c.Key.Equals(platform, StringComparison.OrdinalIgnoreCase));

    private static bool IsEnabled(IConfigurationSection platform) =>
        !string.Equals(platform["Enabled"]?.Trim(), "false", StringComparison.OrdinalIgnoreCase);

    private void CheckEnvNames(IConfigurationSection section, string path, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            var childPath = int.TryParse(child.Key, out _) ? $"{path}[{child.Key}]" : $"{path}.{ToSnake(child.Key)}";
            // A section with children, whatever its own value (some providers give sections an empty value).
            if (child.GetChildren().Any())
            {
                CheckEnvNames(child, childPath, errors);
                continue;
            }
            if (!child.Key.EndsWith("Env", StringComparison.OrdinalIgnoreCase) && !child.Key.EndsWith("_env", StringComparison.OrdinalIgnoreCase)) continue;
            var name = (child.Value ?? "").Trim();
            if (name.Length == 0) errors.Add($"{childPath}: names no environment variable");
            else if (string.IsNullOrEmpty(_env(name))) errors.Add($"{childPath}: environment variable {name} is not set or empty");
        }
    }

    private IReadOnlyList<TenantCredentials> ReadTenants(string platform, string listKey)
    {
        var section = PlatformSection(platform);
        if (section is null || !IsEnabled(section)) return [];
        var list = new List<TenantCredentials>();
        var errors = new List<string>();
        foreach (var item in section.GetSection(DaemonConfigFile.ToPascalCase(listKey)).GetChildren())
        {
            var path = $"platforms.{platform}.{listKey}[{item.Key}]";
            var name = item["Name"]?.Trim();
            var secretVar = item["WebhookSecretEnv"]?.Trim();
            var tokenVar = item["TokenEnv"]?.Trim();
            if (string.IsNullOrEmpty(name)) { errors.Add($"{path}.name: required"); continue; }
            if (string.IsNullOrEmpty(secretVar)) { errors.Add($"{path}.webhook_secret_env: required"); continue; }
            if (list.Any(t => t.Name.Equals(name, StringComparison.OrdinalIgnoreCase))) { errors.Add($"{path}.name: '{name}' is listed twice"); continue; }
            list.Add(new TenantCredentials(name, _env(secretVar)!, string.IsNullOrEmpty(tokenVar) ? null : _env(tokenVar)));
        }
        if (errors.Count > 0) throw new PlatformConfigurationException(string.Join(Environment.NewLine, errors));
        return list;
    }

    private static string ToSnake(string key)
    {
        var sb = new System.Text.StringBuilder(key.Length + 4);
        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsUpper(key[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(key[i]));
        }
        return sb.ToString();
    }
}

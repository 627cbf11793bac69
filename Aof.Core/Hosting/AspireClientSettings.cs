using Microsoft.Extensions.Configuration;

namespace Aof.Core.Hosting;

/// <summary>
/// The settings Aspire's client integrations read, so a service configured for Aspire works here unchanged:
/// <c>Aspire:StackExchange:Redis</c> and <c>Aspire:NATS:Net</c>, each with <c>ConnectionString</c>,
/// <c>DisableHealthChecks</c> and <c>DisableTracing</c>. As in Aspire, <c>ConnectionStrings:{name}</c> wins over the
/// section's <c>ConnectionString</c>.
/// </summary>
public sealed record AspireClientSettings(string Name, string? ConnectionString, bool DisableHealthChecks, bool DisableTracing)
{
    public const string RedisSection = "Aspire:StackExchange:Redis";
    public const string NatsSection = "Aspire:NATS:Net";

    /// <summary>The ActivitySource NATS.Net traces with (NATS.Client.Core.NatsTelemetry).</summary>
    public const string NatsActivitySource = "NATS.Net";

    /// <summary>The ActivitySource Redis command spans come from (Aspire's name; see <see cref="RedisCommandTracer"/>).</summary>
    public const string RedisActivitySource = "StackExchange.Redis";

    public static AspireClientSettings Redis(IConfiguration configuration) => Read(configuration, "redis", RedisSection);

    public static AspireClientSettings Nats(IConfiguration configuration) => Read(configuration, "nats", NatsSection);

    private static AspireClientSettings Read(IConfiguration configuration, string name, string sectionName)
    {
        var section = configuration.GetSection(sectionName);
        var connectionString = configuration.GetConnectionString(name) is { Length: > 0 } cs ? cs
            : section["ConnectionString"] is { Length: > 0 } own ? own
            : null;
        return new AspireClientSettings(name, connectionString, Flag(section, "DisableHealthChecks"), Flag(section, "DisableTracing"));
    }

    private static bool Flag(IConfigurationSection section, string key) =>
        section[key] is { } value && (bool.TryParse(value, out var flag)
            ? flag
            : throw new InvalidOperationException($"{section.Path}:{key} must be true or false, not '{value}'"));
}

using System.Globalization;
using System.Text;
using Aof.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace Aof.Core.RateLimits;

/// <summary>
/// Reads and checks <c>Aof:Runtime:RateLimits</c> (YAML <c>runtime.rate_limits</c>) before anything starts: an
/// unknown key, a missing name, a duplicate name, or a limit that is not a positive whole number is a startup error
/// naming the field as the YAML spells it (<c>runtime.rate_limits.repositories[0].executions_per_minute</c>).
/// The binder alone would ignore a misspelt key and silently run without the limit.
/// </summary>
public static class RateLimitConfiguration
{
    public const string SectionPath = AofOptions.Section + ":Runtime:RateLimits";

    /// <summary>
    /// Upper bounds that keep one limit's bookkeeping (a log of starts, a set of slots) small: on NATS a scope's whole
    /// state is one KV value rewritten on every admission. A tenant allowed more than this needs no limit.
    /// </summary>
    public const int MaxExecutionsPerMinute = 10_000;
    public const int MaxConcurrentLimit = 10_000;

    private static readonly string[] TopKeys = ["PerOrganization", "PerRepository", "Organizations", "Repositories"];
    private static readonly string[] LimitKeys = ["ExecutionsPerMinute", "MaxConcurrent"];
    private static readonly string[] NamedKeys = ["Name", .. LimitKeys];

    /// <summary>The validated limits; empty when none are configured. Throws <see cref="RateLimitConfigurationException"/>.</summary>
    public static RateLimitOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionPath);
        var errors = new List<string>();
        var result = new RateLimitOptions();
        if (section.Value is { Length: > 0 } scalar)
            errors.Add($"{Path(section)} must be a mapping (per_organization, per_repository, organizations, repositories), not '{scalar}'");

        foreach (var child in section.GetChildren())
        {
            switch (Known(child.Key, TopKeys))
            {
                case "PerOrganization": result.PerOrganization = ReadLimit(child, new RateLimit(), LimitKeys, errors); break;
                case "PerRepository": result.PerRepository = ReadLimit(child, new RateLimit(), LimitKeys, errors); break;
                case "Organizations": result.Organizations = ReadNamed(child, errors); break;
                case "Repositories": result.Repositories = ReadNamed(child, errors); break;
                default:
                    errors.Add($"{Path(child)} is not a known setting; expected one of per_organization, per_repository, organizations, repositories");
                    break;
            }
        }

        if (errors.Count > 0) throw new RateLimitConfigurationException(errors);
        return result;
    }

    private static List<NamedRateLimit> ReadNamed(IConfigurationSection list, List<string> errors)
    {
        var result = new List<NamedRateLimit>();
        if (list.Value is { Length: > 0 } scalar)
        {
            errors.Add($"{Path(list)} must be a list of entries with name and limits, not '{scalar}'");
            return result;
        }
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in list.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                errors.Add($"{Path(item)}: {Path(list)} must be a list (- name: ...), not a mapping");
                continue;
            }
            var entry = ReadLimit(item, new NamedRateLimit(), NamedKeys, errors);
            if (entry is null) continue;
            var name = item["Name"]?.Trim();
            if (string.IsNullOrEmpty(name))
            {
                errors.Add($"{Path(item)}.name is required");
                continue;
            }
            entry.Name = name;
            if (seen.TryGetValue(name, out var first))
            {
                errors.Add($"{Path(item)}.name '{name}' is already limited by {first}");
                continue;
            }
            seen[name] = Path(item);
            result.Add(entry);
        }
        return result;
    }

    private static T? ReadLimit<T>(IConfigurationSection section, T limit, string[] allowed, List<string> errors) where T : RateLimit
    {
        if (section.Value is { Length: > 0 } scalar)
        {
            errors.Add($"{Path(section)} must be a mapping with executions_per_minute and/or max_concurrent, not '{scalar}'");
            return null;
        }
        var before = errors.Count;
        foreach (var child in section.GetChildren())
        {
            switch (Known(child.Key, allowed))
            {
                case "ExecutionsPerMinute": limit.ExecutionsPerMinute = Positive(child, MaxExecutionsPerMinute, errors); break;
                case "MaxConcurrent": limit.MaxConcurrent = Positive(child, MaxConcurrentLimit, errors); break;
                case "Name": break;
                default:
                    errors.Add($"{Path(child)} is not a known setting; expected {string.Join(", ", allowed.Select(Snake))}");
                    break;
            }
        }
        if (errors.Count == before && limit.ExecutionsPerMinute is null && limit.MaxConcurrent is null)
            errors.Add($"{Path(section)} sets no limit; give executions_per_minute and/or max_concurrent");
        return errors.Count == before ? limit : null;
    }

    private static int? Positive(IConfigurationSection value, int max, List<string> errors)
    {
        var text = value.Value?.Trim();
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= max) return n;
        errors.Add($"{Path(value)} must be a whole number from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)}, not '{text ?? "(a mapping)"}'");
        return null;
    }

    private static string? Known(string key, string[] allowed) =>
        allowed.FirstOrDefault(a => string.Equals(a, key, StringComparison.OrdinalIgnoreCase));

    /// <summary><c>Aof:Runtime:RateLimits:Repositories:0:MaxConcurrent</c> -> <c>runtime.rate_limits.repositories[0].max_concurrent</c>.</summary>
    internal static string Path(IConfigurationSection section)
    {
        var segments = section.Path.Split(':').Skip(1);
        var sb = new StringBuilder();
        foreach (var s in segments)
        {
            if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _)) sb.Append('[').Append(s).Append(']');
            else sb.Append(sb.Length == 0 ? "" : ".").Append(Snake(s));
        }
        return sb.ToString();
    }

    private static string Snake(string key)
    {
        var sb = new StringBuilder(key.Length + 4);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsUpper(c))
            {
                // Only at a lower-to-upper step: an env var written in capitals (RATELIMITS) stays one word.
                if (i > 0 && (char.IsLower(key[i - 1]) || char.IsDigit(key[i - 1]))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}

/// <summary>Invalid <c>runtime.rate_limits</c>; an <see cref="InvalidOperationException"/> so the hosts report it as a startup error.</summary>
public sealed class RateLimitConfigurationException(IReadOnlyList<string> errors)
    : InvalidOperationException("invalid runtime.rate_limits: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

using StackExchange.Redis;

namespace Aof.Core.Queue.Redis;

/// <summary>
/// Turns the configured Redis address into multiplexer options. Accepts StackExchange.Redis connection strings
/// (what Aspire injects as <c>ConnectionStrings:redis</c>, e.g. <c>localhost:6379,password=x</c>) and URLs
/// (<c>redis://[[user]:password@]host[:port][/db]</c>, <c>rediss://</c> for TLS).
/// </summary>
public static class RedisConnectionSettings
{
    public const int DefaultPort = 6379;

    public static ConfigurationOptions Parse(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        address = address.Trim();
        var options = address.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
                      || address.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)
            ? FromUrl(address)
            : ConfigurationOptions.Parse(address);
        // Start even while Redis is down and reconnect when it comes back; /health reports the outage meanwhile.
        options.AbortOnConnectFail = false;
        return options;
    }

    private static ConfigurationOptions FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new FormatException($"'{Redact(url)}' is not a valid redis URL (redis://[:password@]host:port)");

        var options = new ConfigurationOptions();
        options.EndPoints.Add(uri.Host, uri.Port > 0 ? uri.Port : DefaultPort);
        options.Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                if (parts[0].Length > 0) options.User = Uri.UnescapeDataString(parts[0]);
                options.Password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                options.Password = Uri.UnescapeDataString(parts[0]);
            }
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, out var db) || db < 0)
                throw new FormatException($"'{Redact(url)}': the path must be a database number");
            options.DefaultDatabase = db;
        }
        return options;
    }

    // Never echo a password into an exception message or log.
    private static string Redact(string url)
    {
        var at = url.IndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme > 0 ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }
}

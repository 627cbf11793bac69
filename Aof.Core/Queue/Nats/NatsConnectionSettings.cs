using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// Turns the configured NATS address into connection options: <c>ConnectionStrings:nats</c> as Aspire injects it
/// or <c>Aof:Queue:Url</c>, in the forms <c>nats://[user:password@]host[:port]</c>, <c>nats://token@host</c>,
/// <c>tls://...</c>, <c>host:port</c>, or several of them separated by commas (a cluster).
/// Credentials move from the URL into <see cref="NatsAuthOpts"/>, so they never show up in a logged URL.
/// The connection retries the first connect and reconnects forever: the services start while NATS is down
/// and recover when it comes up.
/// </summary>
public static class NatsConnectionSettings
{
    public const int DefaultPort = 4222;

    public static NatsOpts Parse(string address, string? clientName = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        string? user = null, password = null, token = null;
        var urls = new List<string>();
        foreach (var part in address.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "nats://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
                throw new FormatException($"'{Redact(part)}' is not a valid NATS URL (nats://[user:password@]host:port)");
            if (uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
                throw new FormatException($"'{Redact(part)}': the scheme must be nats, tls, ws or wss");

            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                var info = uri.UserInfo.Split(':', 2);
                if (info.Length == 2)
                {
                    user = Uri.UnescapeDataString(info[0]);
                    password = Uri.UnescapeDataString(info[1]);
                }
                else
                {
                    token = Uri.UnescapeDataString(info[0]);
                }
            }
            var port = uri.IsDefaultPort || uri.Port <= 0 ? DefaultPort : uri.Port;
            urls.Add($"{uri.Scheme}://{uri.Host}:{port}");
        }
        if (urls.Count == 0) throw new FormatException("no NATS URL given");

        var auth = NatsAuthOpts.Default;
        if (user is not null) auth = auth with { Username = user, Password = password };
        else if (token is not null) auth = auth with { Token = token };

        return NatsOpts.Default with
        {
            Url = string.Join(',', urls),
            Name = clientName ?? "aof",
            AuthOpts = auth,
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            RequestTimeout = TimeSpan.FromSeconds(5),
            // While reconnecting, a publish (and so every JetStream request) fails after CommandTimeout instead of
            // waiting for the connection: the gateway answers 503 and the sender retries.
            PublishTimeoutOnDisconnected = true,
            CommandTimeout = TimeSpan.FromSeconds(3),
        };
    }

    /// <summary>
    /// A connection that starts connecting in the background at once: with <see cref="NatsOpts.RetryOnInitialConnect"/>
    /// it keeps trying until the server is there, and reconnects after every loss. Callers never wait on it: the
    /// queue fails fast with <see cref="QueueUnavailableException"/> until it is open.
    /// </summary>
    public static NatsConnection StartConnecting(NatsOpts opts, ILogger? logger = null)
    {
        var connection = new NatsConnection(opts);
        _ = ConnectInBackgroundAsync(connection, logger);
        return connection;
    }

    private static async Task ConnectInBackgroundAsync(NatsConnection connection, ILogger? logger)
    {
        try
        {
            await connection.ConnectAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Disposed while connecting, or retries switched off: the queue starts another attempt when used.
            logger?.LogDebug(ex, "Connecting to NATS at {Url} did not complete", connection.Opts.Url);
        }
    }

    private static string Redact(string url)
    {
        var at = url.IndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 ? (scheme > 0 ? url[..(scheme + 3)] : "") + "***" + url[at..] : url;
    }
}

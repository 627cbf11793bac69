using Aof.Core.Configuration;

namespace Aof.Gateway;

/// <summary>Host settings of the gateway process: Kestrel's body limit and the default listen address.</summary>
public static class GatewayHosting
{
    public const string DefaultUrl = "http://localhost:8080";

    /// <summary>Slack over the webhook limit so the gateway itself answers 413 (with a JSON body) for bodies just over it.</summary>
    private const long KestrelSlackBytes = 16 * 1024;

    public static void ConfigureKestrel(WebApplicationBuilder builder)
    {
        var maxBody = builder.Configuration.GetValue<long?>($"{AofOptions.Section}:Gateway:{nameof(GatewayOptions.MaxBodyBytes)}")
                      ?? new GatewayOptions().MaxBodyBytes;
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = maxBody + KestrelSlackBytes);

        if (!HasListenAddress(builder.Configuration)) builder.WebHost.UseUrls(DefaultUrl);
    }

    /// <summary>ASPNETCORE_URLS / --urls, ASPNETCORE_HTTP(S)_PORTS, or Kestrel endpoints in config: the operator chose.</summary>
    private static bool HasListenAddress(IConfiguration config) =>
        !string.IsNullOrWhiteSpace(config["urls"]) ||
        !string.IsNullOrWhiteSpace(config["http_ports"]) ||
        !string.IsNullOrWhiteSpace(config["https_ports"]) ||
        config.GetSection("Kestrel:Endpoints").GetChildren().Any();
}

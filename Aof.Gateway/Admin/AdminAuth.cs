using System.Security.Cryptography;
using System.Text;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Admin;

/// <summary>
/// Guards <c>/api/*</c>. With a token (env <c>AOF_ADMIN_TOKEN</c> or <c>Aof:Gateway:AdminToken</c>) every
/// request needs <c>Authorization: Bearer &lt;token&gt;</c>. Without one, only loopback clients are served, so
/// a fresh install is not an open admin API; a connection without a known remote address (unix socket,
/// in-memory test server) counts as remote: fail closed.
/// </summary>
public sealed class AdminAuthFilter : IEndpointFilter
{
    public const string TokenEnvironmentVariable = "AOF_ADMIN_TOKEN";
    public const string TokenConfigKey = "Aof:Gateway:AdminToken";

    // Compared as SHA-256 digests: fixed length, so the comparison time does not reveal the token's length.
    private readonly byte[]? _tokenDigest;

    public AdminAuthFilter(IConfiguration configuration)
    {
        var token = configuration[TokenEnvironmentVariable];
        if (string.IsNullOrEmpty(token)) token = configuration[TokenConfigKey];
        _tokenDigest = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    public bool TokenConfigured => _tokenDigest is not null;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_tokenDigest is null)
        {
            return http.Connection.RemoteIpAddress is { } ip && System.Net.IPAddress.IsLoopback(ip)
                ? next(context)
                : Refuse(StatusCodes.Status403Forbidden,
                    $"the admin API is served only to loopback clients when no admin token is configured; set {TokenEnvironmentVariable} to allow remote access");
        }

        var presented = BearerToken(http.Request.Headers.Authorization.ToString());
        if (presented is null)
            return Refuse(StatusCodes.Status401Unauthorized, "missing bearer token", challenge: http);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(digest, _tokenDigest)
            ? next(context)
            : Refuse(StatusCodes.Status401Unauthorized, "invalid bearer token", challenge: http);
    }

    private static string? BearerToken(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var token = header[scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    private static ValueTask<object?> Refuse(int status, string message, HttpContext? challenge = null)
    {
        if (challenge is not null) challenge.Response.Headers.WWWAuthenticate = "Bearer";
        return ValueTask.FromResult<object?>(Results.Json(new ErrorResponse(message), AdminJsonContext.Default.ErrorResponse, statusCode: status));
    }
}

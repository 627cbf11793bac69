using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// Who may use the dashboard. On loopback (the default) anyone on this machine, unless a token was configured. Bound beyond
/// loopback, a login token (printed at start) is required: a request without the session cookie gets 401 and the
/// login page; <c>/login?t=TOKEN</c> or the login form sets an HttpOnly, SameSite=Strict cookie. The cookie holds a
/// digest of the token, never the token. Every POST must come from the dashboard's own pages (Origin / Sec-Fetch-Site),
/// so another site open in the same browser cannot stop resources or purge dead letters.
/// </summary>
public sealed class DashboardAuth
{
    public const string CookieName = "aof_dashboard";

    private readonly byte[]? _tokenDigest;
    private readonly string? _cookieValue;

    public DashboardAuth(string? token)
    {
        if (token is null) return;
        _tokenDigest = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        _cookieValue = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("aof-dashboard-session:" + token)));
    }

    public bool TokenRequired => _tokenDigest is not null;

    public bool IsValidToken(string? presented) =>
        _tokenDigest is not null && !string.IsNullOrEmpty(presented)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _tokenDigest);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsPost(context.Request.Method) && !IsSameOrigin(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("cross-site request refused", context.RequestAborted);
            return;
        }
        if (!TokenRequired || context.Request.Path.StartsWithSegments("/login") || HasSession(context.Request))
        {
            await next(context);
            return;
        }
        await LoginPage(null, StatusCodes.Status401Unauthorized).ExecuteAsync(context);
    }

    /// <summary>GET /login: with <c>?t=TOKEN</c> signs in at once (the link printed at start), else shows the form.</summary>
    public IResult Login(HttpContext context)
    {
        if (!TokenRequired) return Results.Redirect("/");
        var token = context.Request.Query["t"].ToString();
        if (token.Length == 0) return LoginPage(null, HasSession(context.Request) ? 200 : StatusCodes.Status401Unauthorized);
        return IsValidToken(token) ? SignIn(context) : LoginPage("That token is not valid.", StatusCodes.Status401Unauthorized);
    }

    /// <summary>POST /login with the form's token.</summary>
    public async Task<IResult> LoginPostAsync(HttpContext context)
    {
        if (!TokenRequired) return Results.Redirect("/");
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        return IsValidToken(form?["token"].ToString())
            ? SignIn(context)
            : LoginPage("That token is not valid.", StatusCodes.Status401Unauthorized);
    }

    private IResult SignIn(HttpContext context)
    {
        context.Response.Cookies.Append(CookieName, _cookieValue!, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });
        return Results.Redirect("/resources");
    }

    private bool HasSession(HttpRequest request) =>
        request.Cookies.TryGetValue(CookieName, out var value) && value is not null && _cookieValue is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(value), Encoding.ASCII.GetBytes(_cookieValue));

    private static bool IsSameOrigin(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site") return false;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || origin == "null") return origin.Length == 0;
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
               && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static IResult LoginPage(string? error, int status) => Results.Content($"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Log in · AOF dashboard</title>
        <style>body{"{"}font:14px system-ui,sans-serif;background:#f6f7f9;display:flex;justify-content:center;padding-top:12vh{"}"}
        form{"{"}background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:24px;width:380px{"}"}
        input{"{"}width:100%;padding:6px;font:inherit;margin:8px 0 12px{"}"}.error{"{"}color:#8a1c1c{"}"}</style></head>
        <body><form method="post" action="/login">
        <h1>AOF dashboard</h1>
        <p>This dashboard is reachable beyond this machine, so it needs the login token the AppHost printed at start
        (the <code>dashboard:</code> line, or <code>--dashboard-token</code> / <code>AOF_DASHBOARD_TOKEN</code>).</p>
        {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{Html.E(error)}</p>")}
        <label for="token">Token</label><input id="token" name="token" type="password" autocomplete="off" autofocus>
        <button type="submit">Log in</button>
        </form></body></html>
        """, "text/html; charset=utf-8", Encoding.UTF8, status);
}

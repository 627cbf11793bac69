using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// The dashboard's page frame (navigation, styles) and HTML encoding. Pages are rendered on the server as plain
/// strings: no front-end build step, a little vanilla JavaScript only where a page is live.
/// </summary>
public static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A query-string value.</summary>
    public static string Q(string? text) => Uri.EscapeDataString(text ?? "");

    private static readonly (string Path, string Title)[] Pages =
    [
        ("/resources", "Resources"), ("/console", "Console"), ("/traces", "Traces"), ("/metrics", "Metrics"), ("/queue", "Queue"),
    ];

    public static IResult Page(string title, string activePath, string body, string? script = null, int status = 200)
    {
        var html = new StringBuilder();
        html.Append($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · AOF dashboard</title><style>{Styles}</style></head>
            <body><header><span class="brand">AOF</span><nav>
            """);
        foreach (var (path, name) in Pages)
            html.Append($"""<a href="{path}"{(path == activePath ? " class=\"active\"" : "")}>{name}</a>""");
        html.Append($"</nav></header><main><h1>{E(title)}</h1>");
        html.Append(body);
        html.Append("</main>");
        if (script is not null) html.Append("<script>").Append(script).Append("</script>");
        html.Append("</body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>A message box shown after a command (green for ok, red for an error).</summary>
    public static string Notice(string? message, string? kind) =>
        string.IsNullOrEmpty(message) ? "" : $"""<p class="notice {(kind == "error" ? "error" : "ok")}" role="status">{E(message)}</p>""";

    /// <summary>A small POST form with one button (commands change state, so they are never GET links).</summary>
    public static string Button(string action, string label, string? confirm = null, string? cssClass = null) =>
        $"""<form method="post" action="{E(action)}" class="inline"{(confirm is null ? "" : $" onsubmit=\"return confirm('{E(confirm)}')\"")}><button type="submit"{(cssClass is null ? "" : $" class=\"{cssClass}\"")}>{E(label)}</button></form>""";

    public static string Duration(TimeSpan span) => span.TotalSeconds < 60 ? $"{span.TotalSeconds:0}s"
        : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m {span.Seconds:00}s"
        : span.TotalHours < 24 ? $"{(int)span.TotalHours}h {span.Minutes:00}m"
        : $"{(int)span.TotalDays}d {span.Hours:00}h";

    private const string Styles = """
        *{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
        header{display:flex;align-items:center;gap:24px;background:#1f2a44;color:#fff;padding:0 20px;height:48px}
        .brand{font-weight:700;letter-spacing:.1em}nav a{color:#c9d3ea;text-decoration:none;margin-right:18px;padding:14px 0}
        nav a.active,nav a:hover{color:#fff;border-bottom:3px solid #6ea8fe}main{padding:16px 20px}h1{font-size:20px;margin:4px 0 14px}
        h2{font-size:16px;margin:20px 0 8px}table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e7}
        th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceff3;vertical-align:top}th{background:#f0f2f5;font-weight:600}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}code,.mono{font-family:ui-monospace,monospace;font-size:12px}
        .state{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e4e7ec}
        .state.Running,.state.Healthy,.state.Ok{background:#d3f3dc;color:#17672e}.state.Starting,.state.Stopping{background:#fff1c2;color:#7a5a00}
        .state.Exited,.state.Unhealthy,.state.FailedToStart,.state.Error{background:#fbd5d5;color:#8a1c1c}
        form.inline{display:inline;margin:0 2px}button{font:inherit;font-size:12px;padding:3px 10px;border:1px solid #b8c0cc;border-radius:4px;background:#fff;cursor:pointer}
        button:hover{background:#eef2f8}button.danger{border-color:#d99;color:#8a1c1c}
        .notice{padding:8px 12px;border-radius:4px;margin:0 0 12px}.notice.ok{background:#d3f3dc}.notice.error{background:#fbd5d5}
        .filters{display:flex;gap:10px;align-items:center;margin-bottom:10px}.filters input,.filters select{font:inherit;padding:3px 6px}
        #log{background:#101418;color:#d6dde6;font:12px/1.45 ui-monospace,monospace;padding:8px;height:70vh;overflow:auto;white-space:pre-wrap;border-radius:4px}
        #log .src{color:#6ea8fe}#log .t{color:#7d8590}.muted{color:#6b7280}.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:12px}
        .card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px 14px;min-width:120px}.card b{display:block;font-size:22px}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:14px}.chart{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px}
        .chart h3{font-size:13px;margin:0 0 4px}.legend span{margin-right:10px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
        .wf{position:relative;height:18px;background:#f0f2f5}.wf .bar{position:absolute;top:2px;height:14px;border-radius:2px;background:#6ea8fe;min-width:2px}
        .wf .bar.Error{background:#e5534b}td.wfname{white-space:nowrap}
        """;
}

using System.Globalization;
using System.Text;
using static Aof.AppHost.Dashboard.Html;

namespace Aof.AppHost.Dashboard;

/// <summary>One line of a chart: a value per time bucket (null: no data there, the line breaks).</summary>
public sealed record ChartLine(string Name, double?[] Values);

/// <summary>
/// A line chart as inline SVG, drawn on the server: a y axis from 0 to a rounded maximum, the time axis from
/// "-N m" to "now", a legend with the latest value of every line.
/// </summary>
public static class SvgChart
{
    private const int Width = 460, Height = 170, Left = 44, Right = 8, Top = 8, Bottom = 20;
    private static readonly string[] Colors = ["#3b82f6", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777"];

    public static string Render(string id, string title, string unit, IReadOnlyList<ChartLine> lines, TimeSpan window)
    {
        var html = new StringBuilder($"""<div class="chart" id="{E(id)}"><h3>{E(title)}</h3>""");
        var all = lines.SelectMany(l => l.Values).OfType<double>().ToList();
        if (all.Count == 0)
        {
            html.Append($"""<p class="muted nodata">no data in the last {window.TotalMinutes:0} min</p></div>""");
            return html.ToString();
        }
        var max = NiceMax(all.Max());
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        html.Append($"""<svg viewBox="0 0 {Width} {Height}" width="100%" role="img" aria-label="{E(title)}">""");
        for (var g = 0; g <= 4; g++)
        {
            var y = Top + plotH - plotH * g / 4.0;
            html.Append($"""<line x1="{Left}" x2="{Width - Right}" y1="{F(y)}" y2="{F(y)}" stroke="#eceff3"/>""");
            html.Append($"""<text x="{Left - 4}" y="{F(y + 3)}" font-size="9" text-anchor="end" fill="#6b7280">{E(Format(max * g / 4, unit))}</text>""");
        }
        html.Append($"""<text x="{Left}" y="{Height - 6}" font-size="9" fill="#6b7280">-{window.TotalMinutes:0} min</text>""");
        html.Append($"""<text x="{Width - Right}" y="{Height - 6}" font-size="9" text-anchor="end" fill="#6b7280">now</text>""");
        for (var l = 0; l < lines.Count; l++)
        {
            var values = lines[l].Values;
            var step = values.Length > 1 ? plotW / (double)(values.Length - 1) : 0;
            var path = new StringBuilder();
            var pen = false;
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is not { } v)
                {
                    pen = false;
                    continue;
                }
                var x = Left + step * i;
                var y = Top + plotH - plotH * (v / max);
                path.Append(pen ? 'L' : 'M').Append(F(x)).Append(',').Append(F(y)).Append(' ');
                pen = true;
            }
            // The first line is drawn wider: a line that equals it (received = accepted) still shows as its edge.
            html.Append($"""<path d="{path}" fill="none" stroke="{Colors[l % Colors.Length]}" stroke-width="{(l == 0 ? "2.8" : "1.6")}" stroke-linejoin="round" stroke-linecap="round" data-line="{E(lines[l].Name)}"/>""");
            // A lone point between gaps draws nothing as a path: a dot shows it.
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is not { } v || (i > 0 && values[i - 1] is not null) || (i + 1 < values.Length && values[i + 1] is not null)) continue;
                html.Append($"""<circle cx="{F(Left + step * i)}" cy="{F(Top + plotH - plotH * (v / max))}" r="2" fill="{Colors[l % Colors.Length]}"/>""");
            }
        }
        html.Append("</svg><div class=\"legend\">");
        for (var l = 0; l < lines.Count; l++)
        {
            var latest = lines[l].Values.LastOrDefault(v => v is not null);
            html.Append($"""<span><i style="background:{Colors[l % Colors.Length]}"></i>{E(lines[l].Name)} <b>{E(latest is { } v ? Format(v, unit) : "–")}</b></span>""");
        }
        html.Append("</div></div>");
        return html.ToString();
    }

    /// <summary>A value with its unit: "1.5/s", "230 ms", "12".</summary>
    public static string Format(double value, string unit) => unit switch
    {
        "s" when value < 1 => (value * 1000).ToString(value * 1000 < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " ms",
        "s" => value.ToString("0.##", CultureInfo.InvariantCulture) + " s",
        "/s" => value.ToString(value < 10 ? "0.##" : "0.#", CultureInfo.InvariantCulture) + "/s",
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static double NiceMax(double max)
    {
        if (max <= 0) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
            if (step * magnitude >= max) return step * magnitude;
        return 10 * magnitude;
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;
using Aof.Tests.AppHost;
using Aof.Tests.Gateway;
using Microsoft.Playwright;

namespace Aof.Tests.Dashboard;

/// <summary>
/// The AppHost's real model on the repository's examples/ (redis-server, the gateway, one worker; the examples'
/// trigger with its <c>/fail</c> command bound to the always-fails flow), its dashboard on a free loopback port with
/// a login token, its OTLP receiver on free ports, and one headless Chromium (Debian's, never a downloaded one) driven by Playwright.
/// Retries are quick (200 ms) so a failing event reaches the dead-letter queue within the tests' bounds.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Token = "dashboard-test-token";

    /// <summary>The secret the AppHost gives the services when GITHUB_WEBHOOK_SECRET is not set (see its Program.cs).</summary>
    public static string WebhookSecret => Environment.GetEnvironmentVariable("GITHUB_WEBHOOK_SECRET") ?? "aof-dev-secret";

    private readonly string _state = Path.Combine(Path.GetTempPath(), "aof-dash-state-" + Guid.NewGuid().ToString("N")[..12]);
    private AppHostTestApp? _app;
    private IPlaywright? _playwright;

    public AppHostTestApp App => _app ?? throw new InvalidOperationException("not started");

    public IBrowser Browser { get; private set; } = null!;

    public Uri DashboardUrl => App.App.DashboardUrl ?? throw new InvalidOperationException("the app runs without a dashboard");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_state);
        _app = await AppHostTestingBuilder.StartAsync(
        [
            "--examples", Path.Combine(AppHostOptions.ProjectDirectory, "..", "examples"), "--port", "0", "--state", _state,
            "--services-dir", AppContext.BaseDirectory, "--workers", "1",
            "--dashboard", "http://127.0.0.1:0", "--dashboard-token", Token, "--otlp-grpc-port", "0", "--otlp-http-port", "0",
        ], builder =>
        {
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                project.Environment["Aof__Queue__RetryDelayMs"] = "200";
                project.Environment["Aof__Queue__MaxRetryDelayMs"] = "400";
                project.Environment["Aof__Queue__VisibilityTimeoutMs"] = "3000";
                project.Environment["Logging__LogLevel__Default"] = "Warning";
            }
        }, TimeSpan.FromSeconds(90));
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(DashboardBrowser.LaunchOptions());
    }

    /// <summary>A fresh browser page, signed in with the token link the AppHost prints.</summary>
    public async Task<IPage> SignedInPageAsync()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(new Uri(DashboardUrl, $"/login?t={Token}").ToString());
        return page;
    }

    /// <summary>A fresh browser context (no cookie) and page.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        return page;
    }

    public string Url(string path) => new Uri(DashboardUrl, path).ToString();

    /// <summary>Posts a signed GitHub delivery to the gateway; returns the execution id it answered 202 with.</summary>
    public async Task<string> PostWebhookAsync(string eventType, string json, CancellationToken ct, string? deliveryId = null)
    {
        using var client = App.CreateHttpClient();
        using var response = await client.SendAsync(GatewayApp.Delivery(eventType, json, deliveryId ?? Guid.NewGuid().ToString(), WebhookSecret), ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return Assert.Single(body.GetProperty("ids").EnumerateArray()).GetString()!;
    }

    /// <summary>The gateway's execution record of <paramref name="id"/>; null until it exists.</summary>
    public async Task<JsonElement?> RecordAsync(string id, CancellationToken ct)
    {
        using var client = App.CreateHttpClient();
        using var response = await client.GetAsync($"/api/executions/{id}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }
}

/// <summary>How the tests start a browser: Debian's chromium, headless; Playwright never downloads one.</summary>
public static class DashboardBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static BrowserTypeLaunchOptions LaunchOptions()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's browser with `apt-get install -y chromium` (.ci/run does)");
        return new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Timeout = 60_000 };
    }

    /// <summary>Saves a full-page screenshot under the test output folder (dashboard-screenshots/NAME.png).</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }
}

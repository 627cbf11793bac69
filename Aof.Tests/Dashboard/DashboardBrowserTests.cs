using System.Net;
using System.Text.Json;
using Aof.AppHost.Telemetry.Store;
using Aof.Core.Executions;
using Aof.Tests.EndToEnd;
using Aof.Tests.Gateway;
using Microsoft.Playwright;

namespace Aof.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser, against the running AppHost (<see cref="DashboardFixture"/>). Each test saves a
/// screenshot under the test output folder (dashboard-screenshots/).
/// </summary>
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_resources_page_shows_every_resource_running_with_its_endpoint_and_pid()
    {
        var page = await fixture.SignedInPageAsync();
        await page.GotoAsync(fixture.Url("/resources"));

        var expected = new[] { "redis", "gateway", "worker-0" };
        foreach (var name in expected)
        {
            var row = page.Locator($"#resources tr[data-name='{name}']");
            await Assertions.Expect(row.Locator("[data-state]")).ToHaveTextAsync("Running");
            var replica = fixture.App.App.GetReplica(name);
            await Assertions.Expect(row).ToContainTextAsync(replica.ProcessId!.Value.ToString());
        }
        Assert.Equal(expected.Length, await page.Locator("#resources tbody tr").CountAsync());
        await Assertions.Expect(page.Locator("#resources tr[data-name='gateway'] a"))
            .ToHaveAttributeAsync("href", fixture.App.App.GetEndpoint("gateway").ToString());
        await DashboardBrowser.ScreenshotAsync(page, "resources");
    }

    [Fact]
    public async Task A_signed_webhook_makes_a_trace_appear_whose_waterfall_holds_gateway_and_worker_spans()
    {
        using var cts = new CancellationTokenSource(Bound);
        var delivery = Guid.NewGuid().ToString();
        var id = await fixture.PostWebhookAsync("pull_request", GatewayApp.PullRequestOpened, cts.Token, delivery);
        await WaitForRecordAsync(id, r => r.GetProperty("status").GetString() == ExecutionStatus.Succeeded, cts.Token);

        // The trace of this delivery, once the worker's spans have joined the gateway's (both export every second).
        var store = fixture.App.App.Telemetry.Store;
        TraceData? trace = null;
        while (trace is null)
        {
            trace = store.GetTraces(new TraceQuery { Limit = 1000 }).FirstOrDefault(t =>
                t.Spans.Any(s => s.Attributes.GetValueOrDefault("aof.delivery_id") == delivery) && t.Services.Contains("worker"));
            if (trace is null) await Task.Delay(200, cts.Token);
        }

        var page = await fixture.SignedInPageAsync();
        await page.GotoAsync(fixture.Url("/traces?service=worker"));
        var row = page.Locator($"#traces tr[data-trace='{trace.TraceId}']");
        await Assertions.Expect(row).ToContainTextAsync("gateway");
        await DashboardBrowser.ScreenshotAsync(page, "traces");

        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator("#waterfall")).ToBeVisibleAsync();
        Assert.True(await page.Locator("#waterfall tr.span[data-service='gateway']").CountAsync() >= 2, "the gateway's receive and publish spans");
        Assert.True(await page.Locator("#waterfall tr.span[data-service='worker']").CountAsync() >= 1, "the worker's process span");
        await Assertions.Expect(page.Locator("#waterfall tr.span[data-service='worker'] .bar").First).ToBeVisibleAsync();
        await DashboardBrowser.ScreenshotAsync(page, "trace-waterfall");

        await page.GotoAsync(fixture.Url("/metrics?minutes=1"));
        await Assertions.Expect(page.Locator("#webhooks svg path[data-line='accepted']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("live");
        await DashboardBrowser.ScreenshotAsync(page, "metrics");
    }

    [Fact]
    public async Task Stop_and_start_from_the_resources_page_show_live_in_the_console_and_the_console_survives_a_reload()
    {
        var worker = fixture.App.App.GetReplica("worker-0");
        var pidBefore = worker.ProcessId;
        var console = await fixture.SignedInPageAsync();
        await console.GotoAsync(fixture.Url("/console?resource=apphost"));
        await Assertions.Expect(console.Locator("#log")).ToContainTextAsync("worker-0 is healthy");
        await Assertions.Expect(console.Locator("#status")).ToHaveTextAsync("live");

        var page = await fixture.SignedInPageAsync();
        await page.GotoAsync(fixture.Url("/resources"));
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        var row = page.Locator("#resources tr[data-name='worker-0']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Assertions.Expect(row.Locator("[data-state]")).ToHaveTextAsync("Exited", new() { Timeout = 45_000 });
        await Assertions.Expect(console.Locator("#log")).ToContainTextAsync("stop worker-0 (dashboard command)");
        await DashboardBrowser.ScreenshotAsync(page, "resources-stopped");

        await row.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Assertions.Expect(row.Locator("[data-state]")).ToHaveTextAsync("Running", new() { Timeout = 45_000 });
        Assert.NotEqual(pidBefore, worker.ProcessId);
        await Assertions.Expect(console.Locator("#log")).ToContainTextAsync("start worker-0 (dashboard command)");

        await console.ReloadAsync();
        await Assertions.Expect(console.Locator("#log")).ToContainTextAsync("stop worker-0 (dashboard command)");
        await console.GotoAsync(fixture.Url("/console?resource=apphost&q=dashboard+command"));
        Assert.Equal(2, await console.Locator("#log .l").CountAsync());
        await DashboardBrowser.ScreenshotAsync(console, "console");
    }

    [Fact]
    public async Task The_failing_example_flow_shows_up_in_the_dead_letter_list_after_its_retries_and_replay_sends_it_back()
    {
        using var cts = new CancellationTokenSource(Bound);
        var id = await fixture.PostWebhookAsync("issue_comment", PipelineResources.Comment("/fail"), cts.Token);
        var deadLettered = await WaitForRecordAsync(id, r => r.GetProperty("status").GetString() == ExecutionStatus.DeadLettered, cts.Token);

        var page = await fixture.SignedInPageAsync();
        await page.GotoAsync(fixture.Url("/queue"));
        var row = page.Locator($"#dlq tr[data-id='{id}']");
        await Assertions.Expect(row).ToContainTextAsync("always-fails");
        await Assertions.Expect(row).ToContainTextAsync("exited with code 3");
        await Assertions.Expect(row.Locator("td.num")).ToHaveTextAsync(deadLettered.GetProperty("attempts").GetInt32().ToString());
        await DashboardBrowser.ScreenshotAsync(page, "queue-dead-letter");

        var finishedBefore = deadLettered.GetProperty("finished_at").GetDateTimeOffset();
        await row.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync($"replayed {id}");

        // Back in the queue: a worker runs it again (and, as it always fails, dead-letters it again after its retries).
        await WaitForRecordAsync(id, r => r.TryGetProperty("started_at", out var started) && started.GetDateTimeOffset() > finishedBefore, cts.Token);
        await DashboardBrowser.ScreenshotAsync(page, "queue-replayed");
    }

    [Fact]
    public async Task Replaying_a_dead_letter_that_is_no_longer_there_says_so_and_changes_nothing()
    {
        using var cts = new CancellationTokenSource(Bound);
        var gone = await fixture.PostWebhookAsync("issue_comment", PipelineResources.Comment("/fail"), cts.Token);
        var other = await fixture.PostWebhookAsync("issue_comment", PipelineResources.Comment("/fail"), cts.Token);
        foreach (var id in new[] { gone, other })
            await WaitForRecordAsync(id, r => r.GetProperty("status").GetString() == ExecutionStatus.DeadLettered, cts.Token);

        var page = await fixture.SignedInPageAsync();
        await page.GotoAsync(fixture.Url("/queue"));
        var staleRow = page.Locator($"#dlq tr[data-id='{gone}']");
        await Assertions.Expect(staleRow).ToBeVisibleAsync();

        // Someone else purges it while this page is open.
        using (var client = fixture.App.CreateHttpClient())
            Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/dlq/{gone}", cts.Token)).StatusCode);

        await staleRow.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        await Assertions.Expect(page.Locator(".notice.error")).ToContainTextAsync($"cannot replay {gone}: it is no longer in the dead-letter queue");
        await Assertions.Expect(page.Locator($"#dlq tr[data-id='{gone}']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator($"#dlq tr[data-id='{other}']")).ToBeVisibleAsync();
        Assert.Equal(ExecutionStatus.DeadLettered, (await fixture.RecordAsync(other, cts.Token))!.Value.GetProperty("status").GetString());
        await DashboardBrowser.ScreenshotAsync(page, "queue-replay-gone");
    }

    [Fact]
    public async Task Without_the_token_the_dashboard_answers_401_with_a_login_page_and_the_token_signs_in()
    {
        var page = await fixture.NewPageAsync();
        var response = await page.GotoAsync(fixture.Url("/queue"));
        Assert.Equal(401, response!.Status);
        await Assertions.Expect(page.Locator("input[name=token]")).ToBeVisibleAsync();
        Assert.Equal(401, (await page.APIRequest.GetAsync(fixture.Url("/console/stream"))).Status);

        await page.FillAsync("input[name=token]", "not-the-token");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("[role=alert]")).ToContainTextAsync("not valid");
        await DashboardBrowser.ScreenshotAsync(page, "login-refused");

        await page.FillAsync("input[name=token]", DashboardFixture.Token);
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("#resources")).ToBeVisibleAsync();
        Assert.Equal(200, (await page.GotoAsync(fixture.Url("/queue")))!.Status);
    }

    private async Task<JsonElement> WaitForRecordAsync(string id, Func<JsonElement, bool> condition, CancellationToken ct)
    {
        while (true)
        {
            if (await fixture.RecordAsync(id, ct) is { } record && condition(record)) return record;
            try { await Task.Delay(100, ct); }
            catch (OperationCanceledException) { throw new TimeoutException($"timed out waiting for execution {id}: {await fixture.RecordAsync(id, CancellationToken.None)}"); }
        }
    }
}

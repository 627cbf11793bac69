using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aof.Core.Executions;
using Aof.Tests.EndToEnd;
using Aof.Tests.Gateway;
using Aof.Tests.Infrastructure;

namespace Aof.Tests.RateLimits;

/// <summary>
/// The deployed shape: a gateway and two worker processes on a real broker, the limit given as environment variables.
/// With max_concurrent 1 for the repository, its executions run one after another across both processes, each on
/// attempt 1, and none is refused at the gateway.
/// </summary>
public sealed class RateLimitedWorkerProcessTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly PipelineResources _resources = new(slowSeconds: 1);
    private readonly string _prefix = "rl" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _resources.Dispose();

    private Dictionary<string, string> Env(string mode, string backend, string connectionString) => new()
    {
        ["Aof__Mode"] = mode,
        ["Aof__ResourcesDirectory"] = _resources.Directory,
        ["Aof__Queue__Type"] = backend,
        ["Aof__Queue__Prefix"] = _prefix,
        ["Aof__Queue__VisibilityTimeoutMs"] = "30000",
        ["Aof__Worker__Concurrency"] = "4",
        ["Aof__Runtime__RateLimits__Repositories__0__Name"] = "acme/api",
        ["Aof__Runtime__RateLimits__Repositories__0__MaxConcurrent"] = "1",
        ["Aof__Runtime__RateLimits__PerOrganization__ExecutionsPerMinute"] = "100",
        [$"ConnectionStrings__{backend}"] = connectionString,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    [Theory]
    [InlineData("redis")]
    [InlineData("nats")]
    public async Task Two_worker_processes_share_a_max_concurrent_limit_through_the_broker(string backend)
    {
        using var cts = new CancellationTokenSource(Bound);
        await using var broker = backend == "redis" ? (LocalServer)await RedisServer.StartNewAsync(ct: cts.Token) : await NatsServer.StartNewAsync(cts.Token);
        var connection = broker is RedisServer r ? r.ConnectionString : ((NatsServer)broker).Url;

        await using var gateway = ServiceProcess.Start("Aof.Gateway.dll", Env("gateway", backend, connection));
        await using var worker1 = ServiceProcess.Start("Aof.Worker.dll", Env("worker", backend, connection));
        await using var worker2 = ServiceProcess.Start("Aof.Worker.dll", Env("worker", backend, connection));
        await gateway.WaitAliveAsync(cts.Token);
        await worker1.WaitAliveAsync(cts.Token);
        await worker2.WaitAliveAsync(cts.Token);
        using var client = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl) };

        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var response = await client.SendAsync(GatewayApp.Delivery("issue_comment", PipelineResources.Comment("/slow"),
                Guid.NewGuid().ToString(), PipelineResources.Secret), cts.Token);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
            ids.Add(Assert.Single(body.GetProperty("ids").EnumerateArray()).GetString()!);
        }

        var records = new List<JsonElement>();
        foreach (var id in ids)
        {
            JsonElement record = default;
            while (true)
            {
                var response = await client.GetAsync($"/api/executions/{id}", cts.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    record = await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
                    if (record.GetProperty("status").GetString() == ExecutionStatus.Succeeded) break;
                }
                try { await Task.Delay(100, cts.Token); }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"{id} did not succeed; last {record}\nworker 1:\n{worker1.Output}\nworker 2:\n{worker2.Output}");
                }
            }
            records.Add(record);
        }

        Assert.All(records, rec => Assert.Equal(1, rec.GetProperty("attempts").GetInt32()));
        var runs = records
            .Select(rec => (Start: rec.GetProperty("started_at").GetDateTimeOffset(), End: rec.GetProperty("finished_at").GetDateTimeOffset()))
            .OrderBy(x => x.Start)
            .ToList();
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i].Start >= runs[i - 1].End, $"runs {i - 1} and {i} overlapped: {runs[i - 1]} / {runs[i]}");
    }
}

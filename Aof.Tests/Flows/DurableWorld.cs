using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Gateway.Admin;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using Aof.Runtime.Flows.Durable;
using Aof.Runtime.Processing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aof.Tests.Flows;

/// <summary>
/// A queue and an execution store (memory, or Redis: fresh client objects per worker over one redis-server), workers
/// that can be started and stopped (a restart is a new processor, executor and state store: nothing carried in memory),
/// and the real admin endpoints on a test server. Every wait is bounded.
/// </summary>
public sealed class DurableWorld : IAsyncDisposable
{
    public const string AdminToken = "flows-admin-token";
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(40);

    private readonly Func<string, IMessageQueue> _newQueue;
    private readonly Func<IExecutionStore> _newStore;
    private readonly ResourceCatalog _catalog;
    private readonly List<QueueProcessor> _running = [];
    private readonly List<IMessageQueue> _queues = [];
    private readonly bool _sharedQueue;
    private WebApplication? _admin;
    private HttpClient? _adminClient;

    public DurableWorld(AofOptions options, ResourceCatalog catalog, Func<string, IMessageQueue> newQueue, Func<IExecutionStore> newStore, bool sharedQueue)
    {
        Options = options;
        _catalog = catalog;
        _newQueue = newQueue;
        _newStore = newStore;
        _sharedQueue = sharedQueue;
        Publisher = Track(newQueue("publisher"));
        Store = newStore();
    }

    public static AofOptions DefaultOptions(string prefix) => new()
    {
        Queue = new QueueOptions { Prefix = prefix, RetryDelayMs = 10, MaxRetryDelayMs = 50, MaxRetries = 3 },
        Worker = new WorkerOptions { Concurrency = 2, Prefetch = 2, DrainTimeoutSecs = 10, Name = "worker-1" },
        Runtime = new RuntimeOptions { TaskTimeoutSecs = 20, ApprovalPollMs = 200 },
    };

    public AofOptions Options { get; }
    public IMessageQueue Publisher { get; }
    public IExecutionStore Store { get; }

    private IMessageQueue Track(IMessageQueue q)
    {
        _queues.Add(q);
        return q;
    }

    /// <summary>A new worker: its own queue client, store client, flow state store, executor and processor.</summary>
    public async Task<QueueProcessor> StartWorkerAsync(string name, int? concurrency = null)
    {
        var options = Clone(name, concurrency);
        var queue = _sharedQueue ? Publisher : Track(_newQueue(name));
        var store = _newStore();
        var executor = new FlowExecutor(FlowExecutor.BuiltInNodes(), NullLogger<FlowExecutor>.Instance,
            new FlowStateStore(store, Microsoft.Extensions.Options.Options.Create(options)));
        var registry = new TargetExecutorRegistry([new FlowTargetExecutor(_catalog, executor)]);
        var processor = new QueueProcessor(queue, store, registry, Microsoft.Extensions.Options.Options.Create(options), NullLogger<QueueProcessor>.Instance);
        await processor.StartAsync(CancellationToken.None).WaitAsync(WaitLimit);
        _running.Add(processor);
        return processor;
    }

    public async Task StopWorkerAsync(QueueProcessor processor)
    {
        _running.Remove(processor);
        await processor.StopAsync(CancellationToken.None).WaitAsync(WaitLimit);
        processor.Dispose();
    }

    private AofOptions Clone(string name, int? concurrency) => new()
    {
        Queue = Options.Queue,
        Executions = Options.Executions,
        Runtime = Options.Runtime,
        Worker = new WorkerOptions
        {
            Concurrency = concurrency ?? Options.Worker.Concurrency,
            Prefetch = concurrency ?? Options.Worker.Prefetch,
            DrainTimeoutSecs = Options.Worker.DrainTimeoutSecs,
            RunningRecordDelayMs = Options.Worker.RunningRecordDelayMs,
            Name = name,
        },
    };

    public async Task<string> PublishAsync(EventEnvelope envelope)
    {
        await Publisher.PublishAsync([new OutgoingMessage(envelope.Id, Priority.Normal, EnvelopeCodec.Serialize(envelope), 3)], null, CancellationToken.None);
        return envelope.Id;
    }

    public async Task<ExecutionRecord> WaitForStatusAsync(string id, string status)
    {
        ExecutionRecord? last = null;
        using var cts = new CancellationTokenSource(WaitLimit);
        while (true)
        {
            last = await Store.GetAsync(id, CancellationToken.None);
            if (last?.Status == status) return last;
            try { await Task.Delay(25, cts.Token); }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out waiting for record {id} to be {status}; last seen {last?.Status ?? "none"} ({last?.Error})");
            }
        }
    }

    public async Task WaitForEmptyQueueAsync()
    {
        QueueStats? stats = null;
        using var cts = new CancellationTokenSource(WaitLimit);
        while (true)
        {
            stats = await Publisher.GetStatsAsync(CancellationToken.None);
            if (stats is { Ready: 0, InFlight: 0, Delayed: 0 }) return;
            try { await Task.Delay(25, cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"queue not empty: {stats}"); }
        }
    }

    /// <summary>The real admin endpoints (with their bearer-token filter) over this world's store and queue.</summary>
    public async Task<HttpClient> AdminAsync()
    {
        if (_adminClient is not null) return _adminClient;
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["AOF_ADMIN_TOKEN"] = AdminToken;
        builder.Services.AddSingleton(_newStore());
        builder.Services.AddSingleton(Publisher);
        _admin = builder.Build();
        _admin.MapAofAdmin();
        await _admin.StartAsync().WaitAsync(WaitLimit);
        _adminClient = _admin.GetTestClient();
        _adminClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return _adminClient;
    }

    public async Task<(HttpStatusCode Status, JsonElement Json)> DecideAsync(string id, string verb, object? body)
    {
        var client = await AdminAsync();
        using var cts = new CancellationTokenSource(WaitLimit);
        using var response = body is null
            ? await client.PostAsync($"/api/executions/{id}/{verb}", null, cts.Token)
            : await client.PostAsJsonAsync($"/api/executions/{id}/{verb}", body, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<(HttpStatusCode Status, JsonElement Json)> GetAsync(string path)
    {
        var client = await AdminAsync();
        using var cts = new CancellationTokenSource(WaitLimit);
        using var response = await client.GetAsync(path, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _running.ToList()) await StopWorkerAsync(p);
        if (_admin is not null)
        {
            await _admin.StopAsync().WaitAsync(WaitLimit);
            await _admin.DisposeAsync();
        }
        foreach (var q in _queues) await q.DisposeAsync();
    }
}

using Aof.Core.Executions;
using Aof.Core.RateLimits;
using Aof.Core.RateLimits.InMemory;
using Aof.Core.Resources;
using Aof.Tests.Runtime;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.RateLimits;

/// <summary>The worker's side of the limiter that needs no broker: when it is not consulted at all, and when it cannot answer.</summary>
public sealed class LimiterHotPathTests
{
    private static readonly AgentFlowResource Hello =
        Chain("hello", Node("say", "Transform", """{"template": "hello (attempt ${event.attempt})"}"""));

    /// <summary>Counts calls and, while <see cref="FailuresLeft"/> is above zero, fails like a broker that is down.</summary>
    private sealed class CountingStore : IRateLimitStore
    {
        private readonly InMemoryRateLimitStore _inner = new();
        public int Calls;
        public int FailuresLeft;

        public Task<RateLimitAdmission> TryAcquireAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            if (Interlocked.Decrement(ref FailuresLeft) >= 0)
                return Task.FromException<RateLimitAdmission>(new Aof.Core.Queue.QueueUnavailableException("broker down (simulated)"));
            return _inner.TryAcquireAsync(scopes, holder, slotTtl, ct);
        }

        public Task RenewAsync(IReadOnlyList<RateLimitScope> scopes, string holder, TimeSpan slotTtl, CancellationToken ct) =>
            _inner.RenewAsync(scopes, holder, slotTtl, ct);

        public Task ReleaseAsync(IReadOnlyList<RateLimitScope> scopes, string holder, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            return _inner.ReleaseAsync(scopes, holder, ct);
        }
    }

    private static async Task<(ProcessorHarness Harness, RecordingQueue Queue)> StartAsync(RateLimitOptions limits, IRateLimitStore store)
    {
        var options = ProcessorHarness.DefaultOptions();
        options.Runtime.RateLimits = limits;
        RecordingQueue? recording = null;
        var h = new ProcessorHarness(options, Catalog(Hello), q => recording = new RecordingQueue(q),
            new TenantRateLimiter(new RateLimitPolicy(limits), store, options.Queue.VisibilityTimeout));
        await h.StartAsync();
        return (h, recording!);
    }

    [Fact]
    public async Task Without_limits_the_limiter_is_never_called()
    {
        var store = new CountingStore();
        var (h, _) = await StartAsync(new RateLimitOptions(), store);
        await using var _h = h;
        var ids = new List<string>();
        for (var i = 0; i < 20; i++) ids.Add(await h.PublishAsync(Envelope("hello")));
        foreach (var id in ids) await h.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal(0, store.Calls);
    }

    [Fact]
    public async Task Events_no_limit_applies_to_cost_no_call_either()
    {
        var store = new CountingStore();
        var limits = new RateLimitOptions { Repositories = [new NamedRateLimit { Name = "other/repo", MaxConcurrent = 1 }] };
        var (h, _) = await StartAsync(limits, store);
        await using var _h = h;
        var ids = new List<string>();
        for (var i = 0; i < 20; i++) ids.Add(await h.PublishAsync(Envelope("hello"))); // myorg/myrepo
        foreach (var id in ids) await h.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal(0, store.Calls);
    }

    [Fact]
    public async Task When_the_limiter_cannot_answer_the_event_is_deferred_briefly_not_failed()
    {
        var store = new CountingStore { FailuresLeft = 2 };
        var limits = new RateLimitOptions { PerRepository = new RateLimit { MaxConcurrent = 4 } };
        var (h, queue) = await StartAsync(limits, store);
        await using var _h = h;
        var id = await h.PublishAsync(Envelope("hello"), maxRetries: 0);

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(2, queue.Deferrals.Count);
        Assert.All(queue.Deferrals, d => Assert.Equal(1, d.Attempt));
        Assert.Equal(0, queue.Nacks + queue.DeadLetterCalls);
    }
}

using System.Net;
using Aof.Core.Configuration;
using Aof.Core.Executions;
using Aof.Core.Executions.InMemory;
using Aof.Core.Executions.Redis;
using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;
using Aof.Core.Queue.Redis;
using Aof.Core.Resources;
using Aof.Runtime.Flows.Durable;
using Aof.Tests.Infrastructure;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Flows;

/// <summary>
/// Wait and Approval end to end through the worker: state saved in the execution store, the message deferred (no
/// worker held), resumed by any worker, decided through the admin API. Run on memory and on Redis.
/// </summary>
public abstract class DurableFlowTests
{
    protected const int TestTimeoutMs = 90_000;

    protected abstract Task<DurableWorld> CreateWorldAsync(AofOptions options, ResourceCatalog catalog);

    private Task<DurableWorld> World(params AgentFlowResource[] flows) =>
        CreateWorldAsync(DurableWorld.DefaultOptions("f" + Guid.NewGuid().ToString("N")[..10]), Catalog(flows));

    /// <summary>prep -> gate (Approval) -> deploy when approved / denied when rejected (optional).</summary>
    private static AgentFlowResource Deploy(int timeoutSeconds = 120, bool rejectedBranch = true)
    {
        var nodes = new List<FlowNode>
        {
            Node("prep", "Transform", """{"output": {"version": "v${event.payload.number}"}}"""),
            Node("gate", "Approval", $$"""
                {"message": "Deploy ${prep.output.version} of ${event.repo}?", "approvers": ["alice", "bob"], "timeout_seconds": {{timeoutSeconds}}}
                """),
            Node("deploy", "Transform", """{"template": "deployed ${prep.output.version} approved by ${gate.output.user} (${previous.output.comment})"}"""),
        };
        var edges = new List<FlowConnection> { Edge("start", "prep"), Edge("prep", "gate"), Edge("gate", "deploy", "approved") };
        if (rejectedBranch)
        {
            nodes.Add(Node("denied", "End", """{"message": "denied by ${gate.output.user}: ${gate.output.comment}"}"""));
            edges.Add(Edge("gate", "denied", "rejected"));
        }
        return Flow("deploy", [.. nodes], [.. edges]);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task An_approval_waits_survives_a_worker_restart_and_resumes_on_approve_through_the_admin_api()
    {
        await using var world = await World(Deploy());
        var first = await world.StartWorkerAsync("worker-1");
        var id = await world.PublishAsync(Envelope("deploy"));

        var waiting = await world.WaitForStatusAsync(id, ExecutionStatus.WaitingApproval);
        Assert.Equal("worker-1", waiting.Worker);
        var (status, approval) = await world.GetAsync($"/api/executions/{id}/approval");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Deploy v42 of myorg/myrepo?", approval.GetProperty("message").GetString());
        Assert.Equal("gate", approval.GetProperty("node").GetString());
        Assert.Equal(["alice", "bob"], approval.GetProperty("approvers").EnumerateArray().Select(a => a.GetString()));

        // The worker goes away; its replacement knows nothing but what the store and the queue hold.
        await world.StopWorkerAsync(first);
        await world.StartWorkerAsync("worker-2");

        var (approved, body) = await world.DecideAsync(id, "approve", new { user = "alice", comment = "ship it" });
        Assert.Equal(HttpStatusCode.OK, approved);
        Assert.True(body.GetProperty("approved").GetBoolean());

        var done = await world.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal("deployed v42 approved by alice (ship it)", done.Output);
        Assert.Equal("worker-2", done.Worker);
        await world.WaitForEmptyQueueAsync();

        // Decided and done: a second decision is refused and changes nothing.
        var (again, error) = await world.DecideAsync(id, "reject", new { user = "bob" });
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Contains("not waiting for approval", error.GetProperty("error").GetString());
        Assert.Equal(ExecutionStatus.Succeeded, (await world.Store.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_user_not_allowed_gets_403_and_bad_requests_get_400_and_nothing_changes()
    {
        await using var world = await World(Deploy());
        await world.StartWorkerAsync("worker-1");
        var id = await world.PublishAsync(Envelope("deploy"));
        await world.WaitForStatusAsync(id, ExecutionStatus.WaitingApproval);

        var (forbidden, error) = await world.DecideAsync(id, "approve", new { user = "mallory" });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Contains("mallory", error.GetProperty("error").GetString());
        var (noUser, _) = await world.DecideAsync(id, "approve", new { comment = "who am I" });
        Assert.Equal(HttpStatusCode.BadRequest, noUser);
        var (noBody, _) = await world.DecideAsync(id, "reject", null);
        Assert.Equal(HttpStatusCode.BadRequest, noBody);
        var (unknown, _) = await world.DecideAsync("01NOPE", "approve", new { user = "alice" });
        Assert.Equal(HttpStatusCode.NotFound, unknown);

        // Several poll rounds later it still waits, undecided.
        await Task.Delay(TimeSpan.FromMilliseconds(world.Options.Runtime.ApprovalPollMs * 3));
        var entry = await world.Store.GetCheckpointAsync(id, CancellationToken.None);
        Assert.Equal(ExecutionStatus.WaitingApproval, entry!.Status);
        Assert.Null(entry.Decision);

        // The allowed user's rejection follows the flow's rejected branch (user names compare case-insensitively).
        var (rejected, _) = await world.DecideAsync(id, "reject", new { user = "Bob", comment = "not today" });
        Assert.Equal(HttpStatusCode.OK, rejected);
        var done = await world.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal("denied by Bob: not today", done.Output);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Deciding_an_execution_that_is_not_waiting_is_409_and_changes_nothing()
    {
        var quick = Chain("quick", Node("done", "End", """{"message": "quick"}"""));
        await using var world = await World(quick);
        await world.StartWorkerAsync("worker-1");
        var id = await world.PublishAsync(Envelope("quick"));
        var before = await world.WaitForStatusAsync(id, ExecutionStatus.Succeeded);

        var (status, error) = await world.DecideAsync(id, "approve", new { user = "alice" });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("status succeeded", error.GetProperty("error").GetString());
        var after = await world.Store.GetAsync(id, CancellationToken.None);
        Assert.Equal(before.Status, after!.Status);
        Assert.Equal(before.Output, after.Output);
        Assert.Null((await world.Store.GetCheckpointAsync(id, CancellationToken.None))!.Decision);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Past_its_timeout_an_approval_is_rejected_and_can_no_longer_be_approved()
    {
        await using var world = await World(Deploy(timeoutSeconds: 1, rejectedBranch: false));
        await world.StartWorkerAsync("worker-1");
        var id = await world.PublishAsync(Envelope("deploy"));

        var rejected = await world.WaitForStatusAsync(id, ExecutionStatus.Rejected);

        Assert.Contains("approval 'gate' timed out after 1s", rejected.Error);
        Assert.Contains("\"timed_out\":true", rejected.Output);
        var decision = ApprovalDecision.Parse((await world.Store.GetCheckpointAsync(id, CancellationToken.None))!.Decision);
        Assert.False(decision!.Approved);
        Assert.True(decision.TimedOut);
        var (late, _) = await world.DecideAsync(id, "approve", new { user = "alice" });
        Assert.Equal(HttpStatusCode.Conflict, late);
        Assert.Equal(ExecutionStatus.Rejected, (await world.Store.GetAsync(id, CancellationToken.None))!.Status);
        await world.WaitForEmptyQueueAsync();
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_wait_holds_no_worker_and_resumes_with_its_state()
    {
        var slow = Chain("slow",
            Node("before", "Transform", """{"output": {"n": "${event.payload.number}"}}"""),
            Node("pause", "Wait", """{"duration": "6s"}"""),
            Node("after", "End", """{"message": "n=${before.output.n} after ${previous.output.waited_ms}ms"}"""));
        var quick = Chain("quick", Node("done", "End", """{"message": "quick"}"""));
        await using var world = await World(slow, quick);
        // One worker that runs one message at a time: while the flow waits, that slot must be free.
        await world.StartWorkerAsync("solo", concurrency: 1);

        var slowId = await world.PublishAsync(Envelope("slow"));
        await world.WaitForStatusAsync(slowId, ExecutionStatus.Waiting);
        var quickId = await world.PublishAsync(Envelope("quick"));
        await world.WaitForStatusAsync(quickId, ExecutionStatus.Succeeded);
        Assert.Equal(ExecutionStatus.Waiting, (await world.Store.GetAsync(slowId, CancellationToken.None))!.Status);

        var done = await world.WaitForStatusAsync(slowId, ExecutionStatus.Succeeded);
        Assert.StartsWith("n=42 after ", done.Output);
        var waited = int.Parse(done.Output!.Split(' ')[2].TrimEnd('m', 's'));
        Assert.True(waited >= 6000, $"waited only {waited} ms");
        await world.WaitForEmptyQueueAsync();
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_wait_started_on_one_worker_finishes_on_another()
    {
        var slow = Chain("slow",
            Node("pause", "Wait", """{"seconds": 2}"""),
            Node("after", "End", """{"message": "resumed"}"""));
        await using var world = await World(slow);
        var first = await world.StartWorkerAsync("worker-1");
        var id = await world.PublishAsync(Envelope("slow"));
        await world.WaitForStatusAsync(id, ExecutionStatus.Waiting);
        await world.StopWorkerAsync(first);
        await world.StartWorkerAsync("worker-2");

        var done = await world.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal("resumed", done.Output);
        Assert.Equal("worker-2", done.Worker);
    }
}

public sealed class InMemoryDurableFlowTests : DurableFlowTests
{
    protected override Task<DurableWorld> CreateWorldAsync(AofOptions options, ResourceCatalog catalog)
    {
        var queue = new InMemoryMessageQueue(options.Queue);
        var store = new InMemoryExecutionStore(options.Executions);
        return Task.FromResult(new DurableWorld(options, catalog, _ => queue, () => store, sharedQueue: true));
    }
}

public sealed class RedisDurableFlowTests(RedisServerFixture redis) : DurableFlowTests, IClassFixture<RedisServerFixture>
{
    protected override async Task<DurableWorld> CreateWorldAsync(AofOptions options, ResourceCatalog catalog)
    {
        var world = new DurableWorld(options, catalog,
            name => new RedisMessageQueue(redis.Connection, options.Queue, name),
            () => new RedisExecutionStore(redis.Connection, options.Executions, options.Queue.Prefix),
            sharedQueue: false);
        await world.Publisher.InitializeAsync(CancellationToken.None).WaitAsync(DurableWorld.WaitLimit);
        return world;
    }
}

public sealed class NatsDurableFlowTests(NatsServerFixture nats) : DurableFlowTests, IClassFixture<NatsServerFixture>
{
    protected override async Task<DurableWorld> CreateWorldAsync(AofOptions options, ResourceCatalog catalog)
    {
        var world = new DurableWorld(options, catalog,
            _ => new Aof.Core.Queue.Nats.NatsMessageQueue(nats.Connection, options.Queue),
            () => new Aof.Core.Executions.Nats.NatsExecutionStore(nats.Connection, options.Executions, options.Queue.Prefix),
            sharedQueue: false);
        await world.Publisher.InitializeAsync(CancellationToken.None).WaitAsync(DurableWorld.WaitLimit);
        return world;
    }
}

using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Runtime;

public class TargetExecutorTests
{
    private static TargetExecutorRegistry Registry(params ITargetExecutor[] extra) => new(
    [
        new UnsupportedTargetExecutor(TargetKind.Agent),
        new UnsupportedTargetExecutor(TargetKind.Fleet),
        new FlowTargetExecutor(Catalog(Chain("review", Node("say", "Transform", """{"template": "reviewed ${event.repo}"}"""))), FlowExecutor.CreateDefault()),
        .. extra,
    ]);

    [Fact]
    public async Task A_flow_target_runs_the_named_flow()
    {
        var result = await Registry().ExecuteAsync(Request(Envelope("review")), CancellationToken.None);
        Assert.Equal("reviewed myorg/myrepo", result.Output);
    }

    [Fact]
    public async Task An_unknown_flow_is_a_permanent_unknown_target()
    {
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Registry().ExecuteAsync(Request(Envelope("nope")), CancellationToken.None));
        Assert.Equal(DeadLetterReasons.UnknownTarget, ex.Reason);
        Assert.Contains("'nope'", ex.Message);
    }

    [Theory]
    [InlineData(TargetKind.Agent)]
    [InlineData(TargetKind.Fleet)]
    public async Task Agent_and_fleet_targets_are_refused_as_unsupported(TargetKind kind)
    {
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() =>
            Registry().ExecuteAsync(Request(Envelope("k8s-helper", kind: kind)), CancellationToken.None));
        Assert.Equal(DeadLetterReasons.Unsupported, ex.Reason);
        Assert.Contains("not supported by this runtime yet", ex.Message);
    }

    [Fact]
    public async Task A_real_executor_wins_over_the_placeholder_in_any_order()
    {
        var real = new FixedExecutor(TargetKind.Agent, "agent ran");
        var before = new TargetExecutorRegistry([real, new UnsupportedTargetExecutor(TargetKind.Agent)]);
        var after = Registry(real);
        foreach (var registry in new[] { before, after })
        {
            var result = await registry.ExecuteAsync(Request(Envelope("x", kind: TargetKind.Agent)), CancellationToken.None);
            Assert.Equal("agent ran", result.Output);
        }
    }

    private sealed class FixedExecutor(TargetKind kind, string output) : ITargetExecutor
    {
        public TargetKind Kind => kind;
        public Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, CancellationToken ct) => Task.FromResult(new ExecutionResult(output));
    }
}

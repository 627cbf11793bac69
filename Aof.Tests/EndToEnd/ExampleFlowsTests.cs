using System.Text;
using Aof.Core.Events;
using Aof.Core.Resources.Loading;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;

namespace Aof.Tests.EndToEnd;

/// <summary>The shipped examples/ load as they are and their flows behave as documented.</summary>
public sealed class ExampleFlowsTests
{
    private static string ExamplesDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples");
            if (File.Exists(Path.Combine(candidate, "daemon.yaml"))) return candidate;
        }
        throw new DirectoryNotFoundException("examples/ not found above the test output folder");
    }

    private static EventEnvelope PullRequestOpened() => new()
    {
        Id = Ulid.NewUlid(),
        Timestamp = DateTimeOffset.UtcNow,
        Platform = "github",
        Repo = "acme/api",
        EventType = "pull_request",
        Action = "opened",
        TriggerName = "github-pr-automation",
        Target = new EventTarget(TargetKind.Flow, "pr-hello"),
        Payload = Encoding.UTF8.GetBytes("""{"action":"opened","number": 42,"pull_request":{"number":42}}"""),
        Metadata = new EnvelopeMetadata { Sender = "alice", DeliveryId = "d-1" },
    };

    [Fact]
    public async Task Pr_hello_succeeds_and_always_fails_fails_with_its_exit_code()
    {
        var catalog = ResourceLoader.Load([ExamplesDir()], name => name == "GITHUB_WEBHOOK_SECRET" ? "s" : null);
        var executor = FlowExecutor.CreateDefault();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var hello = await executor.ExecuteAsync(catalog.Flows["pr-hello"], ExecutionRequest.For(PullRequestOpened()), cts.Token);
        Assert.Contains("hello from acme/api PR #42 (opened by alice)", hello.OutputText);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            executor.ExecuteAsync(catalog.Flows["always-fails"], ExecutionRequest.For(PullRequestOpened()), cts.Token));
        Assert.IsNotType<PermanentExecutionException>(failure);
        Assert.Contains("3", failure.Message);
    }

    [Fact]
    public async Task Deploy_approval_waits_for_a_decision_with_its_rendered_message()
    {
        var catalog = ResourceLoader.Load([ExamplesDir()], name => name == "GITHUB_WEBHOOK_SECRET" ? "s" : null);
        var store = new Aof.Core.Executions.InMemory.InMemoryExecutionStore(new Aof.Core.Executions.ExecutionOptions());
        var executor = Aof.Tests.Flows.FlowTestKit.Executor(store);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var envelope = PullRequestOpened();
        envelope = new EventEnvelope
        {
            Id = envelope.Id, Timestamp = envelope.Timestamp, Platform = envelope.Platform, Repo = envelope.Repo,
            EventType = "issue_comment", Action = "created", TriggerName = envelope.TriggerName,
            Target = new EventTarget(TargetKind.Flow, "deploy-approval"), Payload = envelope.Payload,
            Metadata = new EnvelopeMetadata { Sender = "carol", Command = "/deploy", Args = "staging" },
        };

        var result = await executor.ExecuteAsync(catalog.Flows["deploy-approval"], ExecutionRequest.For(envelope), cts.Token);

        Assert.NotNull(result.DeferFor);
        var entry = await store.GetCheckpointAsync(envelope.Id, cts.Token);
        Assert.Equal(Aof.Core.Executions.ExecutionStatus.WaitingApproval, entry!.Status);
        var checkpoint = Aof.Runtime.Flows.Durable.FlowCheckpoint.Parse(entry.Checkpoint)!;
        Assert.Equal("Deploy acme/api to staging (asked by carol)?", checkpoint.Approval!.Message);
        Assert.Equal(["alice", "bob"], checkpoint.Approval.Approvers);
    }
}

using System.Diagnostics;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Core.Telemetry;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Runtime;

public sealed class QueueProcessorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aof-processor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly AgentFlowResource Hello =
        Chain("hello", Node("say", "Transform", """{"template": "hello ${event.sender} (attempt ${event.attempt})"}"""));

    /// <summary>A flow whose script appends the attempt to a file and then exits with <paramref name="exitCode"/>.</summary>
    private AgentFlowResource Counting(string name, int exitCode) =>
        Chain(name, Script("run", $"echo \"$AOF_ATTEMPT\" >> {_dir}/{name}.attempts; exit {exitCode}"));

    /// <summary>A flow that marks it started and then waits until the file "go" exists.</summary>
    private AgentFlowResource Gated(string name) =>
        Chain(name, Script("wait", $"touch {_dir}/started-$AOF_EVENT_ID; while [ ! -f {_dir}/go ]; do sleep 0.05; done; echo released-$AOF_EVENT_ID"));

    private string[] Attempts(string name) =>
        File.Exists($"{_dir}/{name}.attempts") ? File.ReadAllLines($"{_dir}/{name}.attempts") : [];

    [Fact]
    public async Task A_successful_execution_is_acked_and_recorded()
    {
        await using var h = new ProcessorHarness(ProcessorHarness.DefaultOptions(), Catalog(Hello));
        var id = await h.PublishAsync(Envelope("hello"));
        await h.StartAsync();

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal("hello alice (attempt 1)", record.Output);
        Assert.Equal(1, record.Attempts);
        Assert.Equal("test-worker", record.Worker);
        Assert.NotNull(record.StartedAt);
        Assert.NotNull(record.FinishedAt);

        var stats = await h.StatsAsync();
        Assert.Equal((0, 0, 0, 0), (stats.Ready, stats.InFlight, stats.Delayed, stats.DeadLettered));
    }

    [Fact]
    public async Task A_failing_script_is_retried_with_growing_attempts_then_dead_lettered()
    {
        await using var h = new ProcessorHarness(ProcessorHarness.DefaultOptions(), Catalog(Counting("flaky", 7)));
        var id = await h.PublishAsync(Envelope("flaky"), maxRetries: 2);
        await h.StartAsync();

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);
        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, record.DeadLetterReason);
        Assert.Equal(3, record.Attempts);
        Assert.Contains("exited with code 7", record.Error);
        Assert.Equal(["1", "2", "3"], Attempts("flaky"));

        var dead = await h.Queue.DeadLetters.GetAsync(id, CancellationToken.None);
        Assert.NotNull(dead);
        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, dead.Reason);
        Assert.Equal(3, dead.Attempts);
        Assert.Contains("exited with code 7", dead.LastError);
    }

    [Fact]
    public async Task A_failed_attempt_is_recorded_before_the_retry()
    {
        // The retry of attempt 1 fails too, so the record passes through "failed" with the error of a real attempt.
        var options = ProcessorHarness.DefaultOptions();
        options.Queue.RetryDelayMs = 300;
        options.Queue.MaxRetryDelayMs = 300;
        await using var h = new ProcessorHarness(options, Catalog(Counting("flaky", 3)));
        var id = await h.PublishAsync(Envelope("flaky"), maxRetries: 5);
        await h.StartAsync();

        var failed = await h.WaitForStatusAsync(id, ExecutionStatus.Failed);
        Assert.Contains("exited with code 3", failed.Error);
        Assert.True(failed.Attempts >= 1);
    }

    [Fact]
    public async Task An_unparseable_body_is_dead_lettered_at_once()
    {
        await using var h = new ProcessorHarness(ProcessorHarness.DefaultOptions(), Catalog(Hello));
        var id = await h.PublishRawAsync("{\"this is\": not an envelope");
        await h.StartAsync();

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);
        Assert.Equal(DeadLetterReasons.Unparseable, record.DeadLetterReason);
        Assert.Contains("not valid JSON", record.Error);

        var dead = await h.Queue.DeadLetters.GetAsync(id, CancellationToken.None);
        Assert.Equal(DeadLetterReasons.Unparseable, dead!.Reason);
        Assert.Equal(1, dead.Attempts);
        var stats = await h.StatsAsync();
        Assert.Equal((0, 0, 0, 1), (stats.Ready, stats.InFlight, stats.Delayed, stats.DeadLettered));
    }

    [Theory]
    [InlineData(TargetKind.Flow, "no-such-flow", DeadLetterReasons.UnknownTarget)]
    [InlineData(TargetKind.Agent, "k8s-helper", DeadLetterReasons.Unsupported)]
    [InlineData(TargetKind.Fleet, "rca-fleet", DeadLetterReasons.Unsupported)]
    public async Task Targets_that_cannot_run_are_dead_lettered_at_once(TargetKind kind, string name, string reason)
    {
        await using var h = new ProcessorHarness(ProcessorHarness.DefaultOptions(), Catalog(Hello));
        var id = await h.PublishAsync(Envelope(name, kind: kind), maxRetries: 3);
        await h.StartAsync();

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);
        Assert.Equal(reason, record.DeadLetterReason);
        Assert.Equal(1, record.Attempts);
        var dead = await h.Queue.DeadLetters.GetAsync(id, CancellationToken.None);
        Assert.Equal(reason, dead!.Reason);
        Assert.Equal(1, dead.Attempts);
    }

    [Fact]
    public async Task A_flow_definition_error_is_dead_lettered_at_once()
    {
        var broken = Chain("broken", Node("think", "Agent"));
        await using var h = new ProcessorHarness(ProcessorHarness.DefaultOptions(), Catalog(broken));
        var id = await h.PublishAsync(Envelope("broken"));
        await h.StartAsync();

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);
        Assert.Equal(DeadLetterReasons.PermanentFailure, record.DeadLetterReason);
        Assert.Contains("node type Agent is not supported by this runtime yet", record.Error);
    }

    [Fact]
    public async Task A_task_timeout_is_a_retryable_failure()
    {
        var options = ProcessorHarness.DefaultOptions();
        options.Runtime.TaskTimeoutSecs = 1;
        var slow = Chain("slow", Script("nap", $"echo \"$AOF_ATTEMPT\" >> {_dir}/slow.attempts; sleep 30"));
        await using var h = new ProcessorHarness(options, Catalog(slow));
        var id = await h.PublishAsync(Envelope("slow"), maxRetries: 1);
        await h.StartAsync();

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.DeadLettered);
        Assert.Equal(DeadLetterReasons.MaxRetriesExceeded, record.DeadLetterReason);
        Assert.Contains("timed out after 1s", record.Error);
        Assert.Equal(2, record.Attempts);
        Assert.Equal(["1", "2"], Attempts("slow"));
    }

    [Fact]
    public async Task Drain_finishes_in_flight_work_and_releases_the_buffer_at_once()
    {
        var options = ProcessorHarness.DefaultOptions();
        options.Worker.Concurrency = 1;
        options.Worker.Prefetch = 3;
        await using var h = new ProcessorHarness(options, Catalog(Gated("gated")));
        var first = await h.PublishAsync(Envelope("gated"), priority: Priority.High);
        var buffered = new List<string>();
        for (var i = 0; i < 3; i++) buffered.Add(await h.PublishAsync(Envelope("gated")));
        await h.StartAsync();

        // One executing (blocked on the gate) and three leased into the buffer.
        await ProcessorHarness.WaitUntilAsync(
            async () => File.Exists($"{_dir}/started-{first}") && h.Processor.Buffered == 3 && (await h.StatsAsync()).InFlight == 4,
            () => $"1 running + 3 buffered (buffered {h.Processor.Buffered})");

        var stopping = h.StopAsync();

        // The buffer goes back to the queue while the in-flight execution is still blocked.
        await ProcessorHarness.WaitUntilAsync(async () => (await h.StatsAsync()).Ready == 3, () => "3 released deliveries");
        Assert.False(stopping.IsCompleted);
        Assert.Equal(ExecutionStatus.Running, (await h.Store.GetAsync(first, CancellationToken.None))!.Status);

        await File.WriteAllTextAsync($"{_dir}/go", "");
        await stopping;

        var done = await h.Store.GetAsync(first, CancellationToken.None);
        Assert.Equal(ExecutionStatus.Succeeded, done!.Status);
        Assert.Equal($"released-{first}", done.Output);

        // Another worker sees the released ones at once, unstarted and with their attempt unchanged.
        var again = await h.Memory.FetchAsync(10, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(buffered.Order(), again.Select(d => d.MessageId).Order());
        Assert.All(again, d => Assert.Equal(1, d.Attempt));
        foreach (var id in buffered)
        {
            Assert.Null(await h.Store.GetAsync(id, CancellationToken.None));
            Assert.False(File.Exists($"{_dir}/started-{id}"));
        }
    }

    [Fact]
    public async Task Drain_timeout_cancels_stragglers_and_releases_them()
    {
        var options = ProcessorHarness.DefaultOptions();
        options.Worker.DrainTimeoutSecs = 1;
        await using var h = new ProcessorHarness(options, Catalog(Gated("stuck")));
        var id = await h.PublishAsync(Envelope("stuck"));
        await h.StartAsync();
        await ProcessorHarness.WaitUntilAsync(() => Task.FromResult(File.Exists($"{_dir}/started-{id}")), () => "the execution to start");

        await h.StopAsync();

        var again = await h.Memory.FetchAsync(10, TimeSpan.Zero, CancellationToken.None);
        var delivery = Assert.Single(again);
        Assert.Equal(id, delivery.MessageId);
        Assert.Equal(1, delivery.Attempt);
        Assert.Equal(0, (await h.StatsAsync()).DeadLettered);
    }

    [Fact]
    public async Task Long_executions_keep_their_lease()
    {
        // The execution takes several visibility timeouts; without renewal it would be redelivered (attempt 2).
        // 3 s leases renewed every second: the test host was seen to stall for about a second shortly after a
        // script starts (cause not found), which a 1 s lease did not survive; production leases are 30 s.
        var options = ProcessorHarness.DefaultOptions();
        options.Queue.VisibilityTimeoutMs = 3000;
        var slow = Chain("slow", Script("nap", $"echo \"$AOF_ATTEMPT\" >> {_dir}/slow.attempts; sleep 8; echo done"));
        await using var h = new ProcessorHarness(options, Catalog(slow));
        var id = await h.PublishAsync(Envelope("slow"));
        await h.StartAsync();

        var record = await h.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(["1"], Attempts("slow"));
        var stats = await h.StatsAsync();
        Assert.Equal((0, 0, 0, 0), (stats.Ready, stats.InFlight, stats.Delayed, stats.DeadLettered));
    }

    [Fact]
    public async Task Broker_errors_in_the_fetch_loop_are_retried()
    {
        FlakyFetchQueue? flaky = null;
        await using var h = new ProcessorHarness(ProcessorHarness.DefaultOptions(), Catalog(Hello), q => flaky = new FlakyFetchQueue(q, 3));
        var id = await h.PublishAsync(Envelope("hello"));
        await h.StartAsync();

        await h.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal(3, flaky!.FailedFetches);
    }

    [Fact]
    public async Task A_failed_ack_is_redelivered_after_its_lease_and_ends_succeeded()
    {
        // The succeeded record is written together with the ack; when the ack is lost the message is still
        // redelivered (at-least-once), runs again and is recorded running and then succeeded for attempt 2.
        var options = ProcessorHarness.DefaultOptions();
        options.Queue.VisibilityTimeoutMs = 300;
        FlakyAckQueue? flaky = null;
        await using var h = new ProcessorHarness(options, Catalog(Hello), q => flaky = new FlakyAckQueue(q, 1));
        var id = await h.PublishAsync(Envelope("hello"));
        await h.StartAsync();

        ExecutionRecord? record = null;
        await ProcessorHarness.WaitUntilAsync(async () =>
        {
            record = await h.Store.GetAsync(id, CancellationToken.None);
            var stats = await h.StatsAsync();
            return record is { Status: ExecutionStatus.Succeeded, Attempts: 2 } && stats.Ready + stats.InFlight == 0;
        }, () => $"record {id} to succeed on attempt 2 and the queue to empty; last seen {record?.Status} attempt {record?.Attempts}");
        Assert.Equal(1, flaky!.FailedAcks);
        Assert.Equal("hello alice (attempt 2)", record!.Output);
        Assert.Equal(0, (await h.StatsAsync()).DeadLettered);
    }

    [Fact]
    public async Task Many_messages_are_all_processed_once()
    {
        var options = ProcessorHarness.DefaultOptions();
        options.Worker.Concurrency = 4;
        options.Worker.Prefetch = 8;
        await using var h = new ProcessorHarness(options, Catalog(Hello));
        var ids = new List<string>();
        for (var i = 0; i < 50; i++) ids.Add(await h.PublishAsync(Envelope("hello")));
        await h.StartAsync();

        foreach (var id in ids)
            Assert.Equal(1, (await h.WaitForStatusAsync(id, ExecutionStatus.Succeeded)).Attempts);
        var stats = await h.StatsAsync();
        Assert.Equal((0, 0), (stats.Ready, stats.InFlight));
    }

    [Fact]
    public async Task The_processing_span_continues_the_gateway_trace()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();
        var e = Envelope("hello");
        var envelope = new EventEnvelope
        {
            Id = e.Id, Timestamp = e.Timestamp, Platform = e.Platform, EventType = e.EventType, TriggerName = e.TriggerName,
            Target = e.Target, Payload = e.Payload,
            Metadata = new EnvelopeMetadata { Traceparent = $"00-{traceId}-{parentSpan}-01" },
        };

        var seen = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AofTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if ((a.GetTagItem("messaging.message.id") as string) == envelope.Id) lock (seen) seen.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);

        await using var h = new ProcessorHarness(ProcessorHarness.DefaultOptions(), Catalog(Hello));
        await h.PublishAsync(envelope);
        await h.StartAsync();
        await h.WaitForStatusAsync(envelope.Id, ExecutionStatus.Succeeded);
        await ProcessorHarness.WaitUntilAsync(() => { lock (seen) return Task.FromResult(seen.Count == 1); }, () => "the span");

        var span = seen[0];
        Assert.Equal("process flow/hello", span.DisplayName);
        Assert.Equal(ActivityKind.Consumer, span.Kind);
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(parentSpan, span.ParentSpanId);
        Assert.Equal("memory", span.GetTagItem("messaging.system"));
        Assert.Equal("process", span.GetTagItem("messaging.operation.type"));
        Assert.Equal("aof.normal", span.GetTagItem("messaging.destination.name"));
    }
}

using System.Text.Json;
using System.Threading.Channels;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Executions.Nats;
using Aof.Core.Queue.Nats;
using Aof.Core.Resources;
using Aof.Tests.Flows;
using Aof.Tests.Infrastructure;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Runtime;

/// <summary>
/// On NATS a message's first delivery as published is untouched, so its worker may write the record whole. These tests
/// watch the record's key in the KV bucket and see every write: the running record is held back for
/// <c>worker.running_record_delay_ms</c>, and an execution that ends within it is recorded once, with its outcome.
/// </summary>
public sealed class NatsRunningRecordTests(NatsServerFixture nats) : IClassFixture<NatsServerFixture>
{
    private const int TestTimeoutMs = 60_000;

    private static readonly AgentFlowResource Quick = Chain("quick", Node("say", "Transform", """{"template": "hello ${event.sender}"}"""));
    private static readonly AgentFlowResource Slow = Chain("slow", Script("run", "sleep 0.8; echo slept"));
    private static readonly AgentFlowResource Failing = Chain("failing", Script("run", "echo nope >&2; exit 3"));

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(200, new[] { ExecutionStatus.Queued, ExecutionStatus.Succeeded })]
    [InlineData(0, new[] { ExecutionStatus.Queued, ExecutionStatus.Running, ExecutionStatus.Succeeded })]
    public async Task A_quick_first_delivery_is_recorded_once_with_its_outcome_unless_the_delay_is_off(int delayMs, string[] writes)
    {
        var (world, watch, id) = await StartAsync(Quick, delayMs);
        await using var _ = world;
        await using var __ = watch;

        var record = await world.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal(writes, await watch.UntilAsync(ExecutionStatus.Succeeded));
        Assert.Equal(("hello alice", 1, "worker-1"), (record.Output, record.Attempts, record.Worker));
        Assert.Equal(("pr-trigger", "flow/quick", "d-1"), (record.TriggerName, record.Target, record.DeliveryId));
        Assert.NotNull(record.StartedAt);
        Assert.NotNull(record.FinishedAt);
        Assert.Equal((long)(record.FinishedAt.Value - record.StartedAt.Value).TotalMilliseconds, record.DurationMs);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_first_delivery_still_running_after_the_delay_is_recorded_running()
    {
        var (world, watch, id) = await StartAsync(Slow, delayMs: 100);
        await using var _ = world;
        await using var __ = watch;

        var running = await world.WaitForStatusAsync(id, ExecutionStatus.Running);
        Assert.Equal((1, "worker-1"), (running.Attempts, running.Worker));
        var done = await world.WaitForStatusAsync(id, ExecutionStatus.Succeeded);
        Assert.Equal("slept", done.Output);
        Assert.Equal(running.StartedAt, done.StartedAt);
        Assert.True(done.DurationMs >= 700, $"duration {done.DurationMs} ms");
        Assert.Equal([ExecutionStatus.Queued, ExecutionStatus.Running, ExecutionStatus.Succeeded], await watch.UntilAsync(ExecutionStatus.Succeeded));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A_first_delivery_that_fails_quickly_records_the_attempt_worker_and_start_it_failed_with()
    {
        // The retry is far off, so the record stays at the first attempt's failure.
        var (world, watch, id) = await StartAsync(Failing, delayMs: 5_000, retryDelayMs: 60_000);
        await using var _ = world;
        await using var __ = watch;

        var failed = await world.WaitForStatusAsync(id, ExecutionStatus.Failed);
        Assert.Equal((1, "worker-1"), (failed.Attempts, failed.Worker));
        Assert.Contains("exited with code 3", failed.Error);
        Assert.NotNull(failed.StartedAt);
        Assert.NotNull(failed.DurationMs);
        Assert.Equal([ExecutionStatus.Queued, ExecutionStatus.Running, ExecutionStatus.Failed], await watch.UntilAsync(ExecutionStatus.Failed));
    }

    /// <summary>A world with one flow, the message's queued record written (as the gateway does), its key watched, one worker.</summary>
    private async Task<(DurableWorld World, RecordWatch Watch, string Id)> StartAsync(AgentFlowResource flow, int delayMs, int retryDelayMs = 10)
    {
        var options = DurableWorld.DefaultOptions("u" + Guid.NewGuid().ToString("N")[..10]);
        options.Worker.RunningRecordDelayMs = delayMs;
        options.Queue.RetryDelayMs = retryDelayMs;
        options.Queue.MaxRetryDelayMs = retryDelayMs;
        var store = new NatsExecutionStore(nats.Connection, options.Executions, options.Queue.Prefix);
        var world = new DurableWorld(options, Catalog(flow),
            _ => new NatsMessageQueue(nats.Connection, options.Queue), () => store, sharedQueue: false);
        await world.Publisher.InitializeAsync(CancellationToken.None).WaitAsync(DurableWorld.WaitLimit);

        var envelope = Envelope(flow.Name);
        await QueuedRecords.RecordAsync(store, [ExecutionRecord.QueuedFor(envelope)]);
        var bucket = await new NatsKVContext(new NatsJSContext(nats.Connection)).GetStoreAsync(store.BucketName);
        var watch = await RecordWatch.StartAsync(bucket, NatsNames.Token(envelope.Id));
        await world.PublishAsync(envelope);
        await world.StartWorkerAsync("worker-1");
        return (world, watch, envelope.Id);
    }

    /// <summary>The statuses of every write to one key, in order, from the value it had when the watch began.</summary>
    private sealed class RecordWatch : IAsyncDisposable
    {
        private readonly Channel<string> _statuses = Channel.CreateUnbounded<string>();
        private readonly List<string> _seen = [];
        private readonly CancellationTokenSource _stop = new(DurableWorld.WaitLimit);
        private Task _pump = Task.CompletedTask;

        public static async Task<RecordWatch> StartAsync(INatsKVStore bucket, string key)
        {
            var watch = new RecordWatch();
            watch._pump = watch.PumpAsync(bucket, key);
            // The current value (queued) comes first: once it is seen, no later write can be missed.
            Assert.Equal([ExecutionStatus.Queued], await watch.UntilAsync(ExecutionStatus.Queued, settle: TimeSpan.Zero));
            return watch;
        }

        private async Task PumpAsync(INatsKVStore bucket, string key)
        {
            try
            {
                await foreach (var entry in bucket.WatchAsync<byte[]>(key, cancellationToken: _stop.Token))
                    _statuses.Writer.TryWrite(entry.Value is { Length: > 0 } json
                        ? JsonDocument.Parse(json).RootElement.GetProperty("status").GetString()!
                        : "(deleted)");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            finally
            {
                _statuses.Writer.TryComplete();
            }
        }

        /// <summary>Every status so far once one is <paramref name="status"/> (bounded), with any stray write within <paramref name="settle"/> after it.</summary>
        public async Task<string[]> UntilAsync(string status, TimeSpan? settle = null)
        {
            while (!_seen.Contains(status))
            {
                if (!await _statuses.Reader.WaitToReadAsync(_stop.Token)) throw new InvalidOperationException("the watch ended");
                while (_statuses.Reader.TryRead(out var s)) _seen.Add(s);
            }
            await Task.Delay(settle ?? TimeSpan.FromMilliseconds(300));
            while (_statuses.Reader.TryRead(out var s)) _seen.Add(s);
            return [.. _seen];
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _pump;
            _stop.Dispose();
        }
    }
}

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// Creates the streams, the lane consumers and the dedup bucket idempotently at startup. An existing stream is
/// compared with what the backend needs (retention, storage, subjects, duplicate window...) and a difference is an
/// error that names the setting: an operator's stream is never silently reconfigured. The lane consumers are
/// ours; their lease settings (AckWait = visibility timeout) are updated to the configuration.
/// </summary>
internal sealed class NatsProvisioner(INatsConnection connection, INatsJSContext js, NatsNames names, QueueOptions options)
{
    /// <summary>Messages a lane may have leased (or NAK-delayed) at once before the server stops handing out more.</summary>
    public const int MaxAckPending = 50_000;

    public StreamConfig EventsStreamConfig() => new(names.EventsStream, [.. names.LaneSubjects])
    {
        Retention = StreamConfigRetention.Workqueue,
        Storage = StreamConfigStorage.File,
        DuplicateWindow = options.DedupWindow,
        Discard = StreamConfigDiscard.Old,
        NumReplicas = 1,
    };

    public StreamConfig DeadLetterStreamConfig() => new(names.DeadLetterStream, [names.DeadLetterSubjects])
    {
        Retention = StreamConfigRetention.Limits,
        Storage = StreamConfigStorage.File,
        // One entry per message id: dead-lettering a replayed message again replaces its old entry.
        MaxMsgsPerSubject = 1,
        NumReplicas = 1,
    };

    public StreamConfig DeferredStreamConfig() => new(names.DeferredStream, [names.DeferredSubject])
    {
        Retention = StreamConfigRetention.Workqueue,
        Storage = StreamConfigStorage.File,
        NumReplicas = 1,
    };

    /// <summary>
    /// Deferred copies that are not due yet are NAK'd with the time left and wait as ack-pending, so this consumer may
    /// hold far more of them than a lane (a rate-limited tenant's whole backlog).
    /// </summary>
    public ConsumerConfig DeferredConsumerConfig() => new(names.DeferredConsumer)
    {
        DurableName = names.DeferredConsumer,
        FilterSubject = names.DeferredSubject,
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        AckWait = options.VisibilityTimeout,
        MaxDeliver = -1,
        MaxAckPending = DeferredMaxAckPending,
    };

    public const int DeferredMaxAckPending = 1_000_000;

    public ConsumerConfig LaneConsumerConfig(int lane) => new(names.LaneConsumers[lane])
    {
        DurableName = names.LaneConsumers[lane],
        FilterSubject = names.LaneSubjects[lane],
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        AckWait = options.VisibilityTimeout,
        // We count attempts and dead-letter ourselves; the server must never drop a message on its own.
        MaxDeliver = -1,
        MaxAckPending = MaxAckPending,
    };

    /// <summary>Returns the lane consumers, indexed by priority, then the consumer of deferred messages.</summary>
    public async Task<(INatsJSConsumer[] Lanes, INatsJSConsumer Deferred)> EnsureAsync(CancellationToken ct)
    {
        ThrowIfNoJetStream();
        try
        {
            await EnsureStreamAsync(EventsStreamConfig(), CompareEvents, ct).ConfigureAwait(false);
            await EnsureStreamAsync(DeadLetterStreamConfig(), CompareDeadLetters, ct).ConfigureAwait(false);
            await EnsureStreamAsync(DeferredStreamConfig(), CompareCommon, ct).ConfigureAwait(false);

            var consumers = new INatsJSConsumer[PriorityScheduler.LaneCount];
            for (var lane = 0; lane < consumers.Length; lane++)
                consumers[lane] = await EnsureConsumerAsync(names.EventsStream, LaneConsumerConfig(lane), ct).ConfigureAwait(false);
            var deferred = await EnsureConsumerAsync(names.DeferredStream, DeferredConsumerConfig(), ct).ConfigureAwait(false);
            return (consumers, deferred);
        }
        catch (NatsNoRespondersException ex)
        {
            throw NoJetStream(ex);
        }
    }

    private async Task<INatsJSConsumer> EnsureConsumerAsync(string stream, ConsumerConfig config, CancellationToken ct)
    {
        try
        {
            return await js.CreateOrUpdateConsumerAsync(stream, config, ct).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code is not (503 or 408))
        {
            throw new QueueConfigurationException(
                $"NATS consumer '{config.Name}' on stream '{stream}' cannot be created or updated: " +
                $"{ex.Error.Description} (error {ex.Error.ErrCode}). A work-queue stream allows one consumer per subject; " +
                "remove other consumers of its subjects or use another Aof:Queue:Prefix.", ex);
        }
    }

    private void ThrowIfNoJetStream()
    {
        if (connection.ServerInfo is { JetStreamAvailable: false }) throw NoJetStream(null);
    }

    private QueueConfigurationException NoJetStream(Exception? inner) => new(
        $"JetStream is not enabled on the NATS server at {connection.Opts.Url}. Start nats-server with -js " +
        "(or add a 'jetstream {}' block to its configuration); the AOF NATS queue stores messages in JetStream streams.", inner);

    private async Task EnsureStreamAsync(StreamConfig wanted, Func<StreamConfig, StreamConfig, string?> compare, CancellationToken ct)
    {
        StreamInfo info;
        try
        {
            info = (await js.GetStreamAsync(wanted.Name!, cancellationToken: ct).ConfigureAwait(false)).Info;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            try
            {
                await js.CreateStreamAsync(wanted, ct).ConfigureAwait(false);
                return;
            }
            catch (NatsJSApiException race) when (race.Error.Code == 400)
            {
                // Another process created it meanwhile (with other settings, or this would have succeeded): compare below.
                info = (await js.GetStreamAsync(wanted.Name!, cancellationToken: ct).ConfigureAwait(false)).Info;
            }
        }

        if (compare(wanted, info.Config) is { } difference)
        {
            throw new QueueConfigurationException(
                $"NATS stream '{wanted.Name}' already exists with other settings than AOF needs: {difference}. " +
                "AOF does not reconfigure an existing stream; change or delete it (nats stream edit / nats stream rm), " +
                "or use another Aof:Queue:Prefix.");
        }
    }

    private static string? CompareEvents(StreamConfig wanted, StreamConfig actual) =>
        CompareCommon(wanted, actual)
        ?? (actual.DuplicateWindow != wanted.DuplicateWindow
            ? $"duplicate_window is {actual.DuplicateWindow} but must be {wanted.DuplicateWindow} (Aof:Queue:DedupWindowSecs)"
            : null);

    private static string? CompareDeadLetters(StreamConfig wanted, StreamConfig actual) =>
        CompareCommon(wanted, actual)
        ?? (actual.MaxMsgsPerSubject != wanted.MaxMsgsPerSubject
            ? $"max_msgs_per_subject is {actual.MaxMsgsPerSubject} but must be {wanted.MaxMsgsPerSubject}"
            : null);

    private static string? CompareCommon(StreamConfig wanted, StreamConfig actual)
    {
        if (actual.Retention != wanted.Retention)
            return $"retention is {actual.Retention.ToString().ToLowerInvariant()} but must be {wanted.Retention.ToString().ToLowerInvariant()}";
        if (actual.Storage != wanted.Storage)
            return $"storage is {actual.Storage.ToString().ToLowerInvariant()} but must be {wanted.Storage.ToString().ToLowerInvariant()}";
        var have = new HashSet<string>(actual.Subjects ?? [], StringComparer.Ordinal);
        if (!have.SetEquals(wanted.Subjects ?? []))
            return $"subjects are [{string.Join(", ", have.Order())}] but must be [{string.Join(", ", wanted.Subjects ?? [])}]";
        return null;
    }
}

using System.Diagnostics;
using Aof.Core.Configuration;
using Aof.Core.Events;
using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Core.Telemetry;
using Aof.Core.Triggers;
using Microsoft.Extensions.Options;

namespace Aof.Gateway.Webhooks;

public enum PublishStatus
{
    /// <summary>Stored (possibly as a duplicate of an earlier delivery).</summary>
    Stored,

    /// <summary>The broker is down or did not confirm in time: the sender should retry.</summary>
    Unavailable,

    /// <summary>The message is larger than the broker accepts: retrying will not help.</summary>
    TooLarge,
}

/// <summary>How a publish ended.</summary>
public sealed record PublishOutcome(PublishStatus Status, bool Duplicate, IReadOnlyList<string> Ids, string? Error)
{
    public static PublishOutcome Stored(PublishResult r) => new(PublishStatus.Stored, r.Duplicate, r.MessageIds, null);
    public static PublishOutcome Refused(PublishStatus status, string error) => new(status, false, [], error);
}

/// <summary>
/// Turns the matches of one delivery into envelopes named after the delivery (<see cref="MessageIds"/>) and stores
/// them with ONE publish keyed by the delivery id, so a redelivery stores nothing and is answered with the first ids.
/// Redis stores all of them or none; on NATS, where each message is its own write, a publish that failed halfway is
/// completed by the sender's retry (the messages already stored are duplicates of themselves).
/// The publish is bounded by <see cref="GatewayOptions.AckTimeoutMs"/>: past it the sender is told to retry.
/// </summary>
public sealed partial class EnvelopePublisher(
    IMessageQueue queue,
    IExecutionStore executions,
    IOptions<AofOptions> options,
    TimeProvider time,
    ILogger<EnvelopePublisher> logger)
{
    public async Task<PublishOutcome> PublishAsync(InboundEvent evt, IReadOnlyList<TriggerMatch> matches, CancellationToken ct)
    {
        var aof = options.Value;
        var ackTimeout = TimeSpan.FromMilliseconds(Math.Max(1, aof.Gateway.AckTimeoutMs));
        var now = time.GetUtcNow();

        using var activity = AofTelemetry.Source.StartActivity("publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", queue.Backend);
        activity?.SetTag("messaging.destination.name", aof.Queue.Prefix);
        activity?.SetTag("messaging.operation", "publish");
        activity?.SetTag("messaging.operation.type", "publish");
        activity?.SetTag("messaging.batch.message_count", matches.Count);
        activity?.SetTag("aof.delivery_id", evt.DeliveryId);
        // The worker continues this span's trace, so the envelope carries the publish span itself.
        var traceparent = TraceParentOf(activity ?? Activity.Current);

        var dedupKey = DedupKeyOf(evt);
        var messages = new OutgoingMessage[matches.Count];
        for (var i = 0; i < matches.Count; i++)
        {
            var id = dedupKey is null ? Ulid.NewUlid(now) : MessageIds.ForDelivery(dedupKey, i, now, aof.Queue.DedupWindow);
            var envelope = BuildEnvelope(id, evt, matches[i], now, aof.Queue.MaxRetries, traceparent);
            messages[i] = new OutgoingMessage(envelope.Id, envelope.Priority, EnvelopeCodec.Serialize(envelope), envelope.Metadata.MaxRetries,
                ExecutionRecord.QueuedFor(envelope));
        }

        PublishResult result;
        try
        {
            // One timer per request: WaitAsync bounds the wait even if a backend cannot cancel its command.
            result = await queue.PublishAsync(messages, dedupKey, ct).WaitAsync(ackTimeout, ct);
        }
        catch (QueueUnavailableException ex)
        {
            return Unavailable(activity, evt, $"queue unavailable: {ex.Message}");
        }
        catch (TimeoutException)
        {
            return Unavailable(activity, evt, $"no broker ack within {ackTimeout.TotalMilliseconds} ms");
        }
        catch (MessageTooLargeException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return PublishOutcome.Refused(PublishStatus.TooLarge, ex.Message);
        }

        activity?.SetTag("aof.duplicate", result.Duplicate);
        if (result.Duplicate)
        {
            if (!result.FirstIdsKnown) result = await FirstIdsAsync(result, dedupKey!, now, aof.Queue.DedupWindow, ackTimeout);
            LogDuplicate(logger, evt.Platform, evt.DeliveryId, result.MessageIds.Count);
            return PublishOutcome.Stored(result);
        }

        foreach (var m in messages)
            AofTelemetry.Published.Add(1, new("platform", evt.Platform), new("priority", m.Priority.ToWire()));

        // Not awaited: the answer depends only on the publish. The record write follows the publish on the same
        // broker connection (it is issued before this method returns), so it lands right after the messages.
        // A backend that stored the records with the messages (Redis) has nothing left to do.
        if (!queue.StoresQueuedRecords) _ = RecordQueuedAsync(evt, messages, ackTimeout);
        LogPublished(logger, evt.Platform, evt.DeliveryId, evt.EventType, messages.Length);
        return PublishOutcome.Stored(result);
    }

    /// <summary>The platform's name for the delivery, which dedup and the message ids are keyed by; none without one.</summary>
    internal static string? DedupKeyOf(InboundEvent evt) =>
        string.IsNullOrEmpty(evt.DeliveryId) ? null : evt.Platform + ":" + evt.DeliveryId;

    /// <summary>
    /// A duplicate whose backend does not keep the first ids (NATS) came back with ours, which are the first ones unless
    /// the original was published in the previous dedup epoch (<see cref="MessageIds"/>): then the previous epoch's ids
    /// are the ones with execution records. Only redeliveries come here, so the lookups cost nothing that matters.
    /// </summary>
    private async Task<PublishResult> FirstIdsAsync(PublishResult duplicate, string dedupKey, DateTimeOffset now, TimeSpan window, TimeSpan timeout)
    {
        var ours = duplicate.MessageIds;
        try
        {
            if (ours.Count == 0 || await executions.GetAsync(ours[0], CancellationToken.None).WaitAsync(timeout) is not null) return duplicate;
            var epoch = MessageIds.EpochOf(now, window) - 1;
            var previous = new string[ours.Count];
            for (var i = 0; i < previous.Length; i++) previous[i] = MessageIds.ForDelivery(dedupKey, i, epoch);
            return await executions.GetAsync(previous[0], CancellationToken.None).WaitAsync(timeout) is not null
                ? duplicate with { MessageIds = previous, FirstIdsKnown = true }
                : duplicate;
        }
        catch (Exception ex)
        {
            // Nothing was stored either way; only the ids in the answer may be the other epoch's.
            LogFirstIdsUnknown(logger, ex, dedupKey);
            return duplicate;
        }
    }

    internal static EventEnvelope BuildEnvelope(string id, InboundEvent evt, TriggerMatch match, DateTimeOffset now, int maxRetries, string? traceparent) => new()
    {
        Id = id,
        Timestamp = now,
        Platform = evt.Platform,
        Org = evt.Org,
        Repo = evt.Repo,
        EventType = evt.EventType,
        Action = evt.Action,
        TriggerName = match.Trigger.Name,
        Target = match.Target,
        Priority = match.Priority,
        Payload = evt.Payload,
        Metadata = new EnvelopeMetadata
        {
            DeliveryId = evt.DeliveryId,
            Attempt = 1,
            MaxRetries = maxRetries,
            Traceparent = traceparent,
            Command = match.Command,
            Args = match.Args,
            Sender = evt.Sender,
            Channel = evt.Channel,
            Text = evt.Text,
        },
    };

    /// <summary>
    /// The messages are already stored, so a failing record write must not turn the answer into an error
    /// (the sender would retry into a duplicate). The worker's own writes create the record later anyway.
    /// </summary>
    private async Task RecordQueuedAsync(InboundEvent evt, OutgoingMessage[] messages, TimeSpan timeout)
    {
        var records = new ExecutionRecord[messages.Length];
        for (var i = 0; i < messages.Length; i++) records[i] = messages[i].Record!;
        try
        {
            // The request's token is not used: the client hanging up after its 202 must not cancel the record.
            await executions.RecordQueuedAsync(records, CancellationToken.None).WaitAsync(timeout);
        }
        catch (Exception ex)
        {
            LogRecordFailed(logger, ex, evt.Platform, evt.DeliveryId);
        }
    }

    private PublishOutcome Unavailable(Activity? activity, InboundEvent evt, string error)
    {
        activity?.SetStatus(ActivityStatusCode.Error, error);
        LogUnavailable(logger, evt.Platform, evt.DeliveryId, error);
        return PublishOutcome.Refused(PublishStatus.Unavailable, error);
    }

    private static string? TraceParentOf(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Platform} delivery {DeliveryId} ({EventType}): published {Count} message(s)")]
    private static partial void LogPublished(ILogger logger, string platform, string deliveryId, string eventType, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Platform} delivery {DeliveryId} is a duplicate; answering with the {Count} original id(s)")]
    private static partial void LogDuplicate(ILogger logger, string platform, string deliveryId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Platform} delivery {DeliveryId} not accepted: {Error}")]
    private static partial void LogUnavailable(ILogger logger, string platform, string deliveryId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Duplicate of {DedupKey}: could not tell which dedup epoch its first ids are from; answering with this epoch's")]
    private static partial void LogFirstIdsUnknown(ILogger logger, Exception ex, string dedupKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Platform} delivery {DeliveryId} was published but its execution records could not be written")]
    private static partial void LogRecordFailed(ILogger logger, Exception ex, string platform, string deliveryId);
}

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
/// Turns the matches of one delivery into envelopes and stores them with ONE publish keyed by the delivery
/// id, so the broker either keeps all of them or none, and a redelivery gets the first ids back.
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

        var messages = new OutgoingMessage[matches.Count];
        for (var i = 0; i < matches.Count; i++)
        {
            var envelope = BuildEnvelope(evt, matches[i], now, aof.Queue.MaxRetries, traceparent);
            messages[i] = new OutgoingMessage(envelope.Id, envelope.Priority, EnvelopeCodec.Serialize(envelope), envelope.Metadata.MaxRetries,
                ExecutionRecord.QueuedFor(envelope));
        }

        PublishResult result;
        try
        {
            // One timer per request: WaitAsync bounds the wait even if a backend cannot cancel its command.
            result = await queue.PublishAsync(messages, evt.Platform + ":" + evt.DeliveryId, ct).WaitAsync(ackTimeout, ct);
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

    internal static EventEnvelope BuildEnvelope(InboundEvent evt, TriggerMatch match, DateTimeOffset now, int maxRetries, string? traceparent) => new()
    {
        Id = Ulid.NewUlid(now),
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Platform} delivery {DeliveryId} was published but its execution records could not be written")]
    private static partial void LogRecordFailed(ILogger logger, Exception ex, string platform, string deliveryId);
}

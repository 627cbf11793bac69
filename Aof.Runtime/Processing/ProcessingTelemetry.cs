using System.Diagnostics;
using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Telemetry;

namespace Aof.Runtime.Processing;

/// <summary>The processor's span and metrics, so the processing code reads as what happens to a message.</summary>
internal static class ProcessingTelemetry
{
    public const string Succeeded = "succeeded";
    public const string Retried = "retried";
    public const string DeadLettered = "dead_lettered";

    /// <summary>
    /// "process {target}", a Consumer span continuing the gateway's trace (the envelope's traceparent), tagged
    /// with the OpenTelemetry messaging conventions. Tags are only set when a listener records them.
    /// </summary>
    public static Activity? StartProcess(EventEnvelope envelope, Delivery delivery, string backend, Destinations destinations)
    {
        ActivityContext.TryParse(envelope.Metadata.Traceparent, null, isRemote: true, out var parent);
        var activity = AofTelemetry.Source.StartActivity($"process {envelope.Target}", ActivityKind.Consumer, parent);
        if (activity is null || !activity.IsAllDataRequested) return activity;

        activity.SetTag("messaging.system", backend);
        activity.SetTag("messaging.destination.name", destinations.Of(delivery.Priority));
        activity.SetTag("messaging.operation", "process"); // the name of the older conventions, which tools still read
        activity.SetTag("messaging.operation.type", "process");
        activity.SetTag("messaging.operation.name", "process");
        activity.SetTag("messaging.consumer.group.name", destinations.ConsumerGroup);
        activity.SetTag("messaging.message.id", delivery.MessageId);
        activity.SetTag("aof.attempt", delivery.Attempt);
        activity.SetTag("aof.trigger", envelope.TriggerName);
        activity.SetTag("aof.target.kind", envelope.Target.KindWire);
        activity.SetTag("aof.target.name", envelope.Target.Name);
        return activity;
    }

    /// <summary>The "{prefix}.{lane}" destination names, built once per processor rather than once per message.</summary>
    public sealed class Destinations(QueueOptions queue)
    {
        private readonly string[] _names = PriorityNames.All.Select(p => $"{queue.Prefix}.{p.ToWire()}").ToArray();

        public string ConsumerGroup { get; } = queue.ConsumerGroup;

        public string Of(Priority lane) => _names[(int)lane];
    }

    public static void Record(string outcome, string targetKind, TimeSpan elapsed, string? deadLetterReason = null)
    {
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome);
        var kindTag = new KeyValuePair<string, object?>("target_kind", targetKind);
        AofTelemetry.Processed.Add(1, outcomeTag, kindTag);
        AofTelemetry.ProcessingDuration.Record(elapsed.TotalSeconds, outcomeTag, kindTag);
        if (outcome == Retried) AofTelemetry.Retried.Add(1, kindTag);
        if (deadLetterReason is not null) AofTelemetry.DeadLettered.Add(1, new KeyValuePair<string, object?>("reason", deadLetterReason));
    }

    public static void RecordEndToEnd(Delivery delivery, string targetKind)
    {
        if (delivery.EnqueuedAt is { } enqueued)
            AofTelemetry.EndToEndDuration.Record((DateTimeOffset.UtcNow - enqueued).TotalSeconds, new KeyValuePair<string, object?>("target_kind", targetKind));
    }

    public static void Fail(Activity? activity, Exception ex, string outcome)
    {
        if (activity is null) return;
        activity.SetTag("aof.outcome", outcome);
        activity.SetStatus(ActivityStatusCode.Error, ex.Message);
        activity.AddException(ex);
    }
}

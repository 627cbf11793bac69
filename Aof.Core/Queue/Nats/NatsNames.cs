using System.Buffers.Text;
using System.Text;
using Aof.Core.Events;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// Every stream, subject, consumer and bucket name the NATS backend uses, derived from the queue prefix:
/// <list type="bullet">
/// <item>stream <c>{prefix}-events</c> with subjects <c>{prefix}.events.high|normal|low</c> (work queue, file storage)</item>
/// <item>durable pull consumers <c>{group}-high|normal|low</c>, one per lane, shared by every worker</item>
/// <item>stream <c>{prefix}-deferred</c> (work queue) with subject <c>{prefix}.deferred</c>: deferred messages waiting for
/// their due time, read by the durable pull consumer <c>{group}-deferred</c></item>
/// <item>stream <c>{prefix}-dlq</c> with one subject per dead letter, <c>{prefix}.dlq.{message id}</c></item>
/// <item>KV bucket <c>{prefix}-executions</c> (execution records)</item>
/// </list>
/// The prefix and group are restricted to letters, digits, '-' and '_', the characters that are valid in all of them.
/// </summary>
public sealed class NatsNames
{
    public NatsNames(string prefix, string consumerGroup = "aof-workers")
    {
        Prefix = Validate(prefix, "Aof:Queue:Prefix");
        ConsumerGroup = Validate(consumerGroup, "Aof:Queue:ConsumerGroup");
        EventsStream = Prefix + "-events";
        DeadLetterStream = Prefix + "-dlq";
        DeferredStream = Prefix + "-deferred";
        DeferredSubject = Prefix + ".deferred";
        DeferredConsumer = ConsumerGroup + "-deferred";
        DeadLetterSubjects = Prefix + ".dlq.>";
        ExecutionsBucket = Prefix + "-executions";
        LaneSubjects = [LaneSubject(Priority.High), LaneSubject(Priority.Normal), LaneSubject(Priority.Low)];
        LaneConsumers = [LaneConsumer(Priority.High), LaneConsumer(Priority.Normal), LaneConsumer(Priority.Low)];
    }

    public string Prefix { get; }
    public string ConsumerGroup { get; }
    public string EventsStream { get; }
    public string DeadLetterStream { get; }
    public string DeadLetterSubjects { get; }
    public string DeferredStream { get; }
    public string DeferredSubject { get; }
    public string DeferredConsumer { get; }
    public string ExecutionsBucket { get; }

    /// <summary>Lane subjects, indexed by <see cref="Priority"/>.</summary>
    public string[] LaneSubjects { get; }

    /// <summary>Durable consumer names, indexed by <see cref="Priority"/>.</summary>
    public string[] LaneConsumers { get; }

    public string LaneSubject(Priority p) => $"{Prefix}.events.{p.ToWire()}";

    public string LaneConsumer(Priority p) => $"{ConsumerGroup}-{p.ToWire()}";

    public string DeadLetterSubject(string messageId) => $"{Prefix}.dlq.{Token(messageId)}";

    /// <summary>
    /// A subject token / KV key for an arbitrary string: kept as is when it only holds [A-Za-z0-9_-] (ULIDs,
    /// UUIDs), else "=" + base64url of its UTF-8 bytes, so any id maps to one valid, unambiguous token.
    /// </summary>
    public static string Token(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 0 && IsPlain(value)) return value;
        return "=" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value));
    }

    private static bool IsPlain(string value)
    {
        foreach (var c in value)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        return true;
    }

    private static string Validate(string value, string setting)
    {
        if (string.IsNullOrWhiteSpace(value) || !IsPlain(value))
            throw new ArgumentException($"{setting} '{value}' must be letters, digits, '-' or '_' to be a NATS stream, subject and bucket name");
        return value;
    }
}

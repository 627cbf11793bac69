using System.Text.Json;
using Aof.Core.Serialization;

namespace Aof.Core.Events;

/// <summary>The envelope could not be read: not JSON, a missing field, or a bad value. Never retried.</summary>
public sealed class EnvelopeFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Writes and reads the wire form of <see cref="EventEnvelope"/> by hand with Utf8JsonWriter/Reader:
/// the payload is copied in as raw bytes on write and sliced out (no copy, no re-parse) on read.
/// </summary>
public static class EnvelopeCodec
{
    public static byte[] Serialize(EventEnvelope e) =>
        ThreadJsonWriter.ToArray(e, 1024 + e.Payload.Length, static (w, e) =>
        {
            w.WriteStartObject();
            w.WriteString("id", e.Id);
            w.WriteString("timestamp", e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
            w.WriteString("platform", e.Platform);
            WriteOptional(w, "org", e.Org);
            WriteOptional(w, "repo", e.Repo);
            w.WriteString("event_type", e.EventType);
            WriteOptional(w, "action", e.Action);
            w.WriteString("trigger_name", e.TriggerName);
            w.WriteStartObject("target");
            w.WriteString("kind", e.Target.KindWire);
            w.WriteString("name", e.Target.Name);
            w.WriteEndObject();
            w.WriteString("priority", e.Priority.ToWire());
            w.WritePropertyName("payload");
            if (e.Payload.IsEmpty) w.WriteNullValue();
            else w.WriteRawValue(e.Payload.Span, skipInputValidation: true);
            var m = e.Metadata;
            w.WriteStartObject("metadata");
            WriteOptional(w, "delivery_id", m.DeliveryId);
            w.WriteNumber("attempt", m.Attempt);
            w.WriteNumber("max_retries", m.MaxRetries);
            WriteOptional(w, "traceparent", m.Traceparent);
            WriteOptional(w, "command", m.Command);
            WriteOptional(w, "args", m.Args);
            WriteOptional(w, "sender", m.Sender);
            WriteOptional(w, "channel", m.Channel);
            WriteOptional(w, "text", m.Text);
            w.WriteEndObject();
            w.WriteEndObject();
        });

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    /// <summary>Reads an envelope. The returned payload is a slice of <paramref name="bytes"/>.</summary>
    public static EventEnvelope Parse(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return ParseCore(bytes);
        }
        catch (JsonException ex)
        {
            throw new EnvelopeFormatException($"envelope is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new EnvelopeFormatException($"envelope has a field of the wrong type: {ex.Message}", ex);
        }
    }

    private static EventEnvelope ParseCore(ReadOnlyMemory<byte> bytes)
    {
        var r = new Utf8JsonReader(bytes.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            throw new EnvelopeFormatException("envelope is not a JSON object");

        string? id = null, platform = null, org = null, repo = null, eventType = null, action = null, trigger = null;
        string? targetKind = null, targetName = null, priority = null;
        DateTimeOffset? timestamp = null;
        ReadOnlyMemory<byte> payload = default;
        string? deliveryId = null, traceparent = null, command = null, args = null, sender = null, channel = null, text = null;
        int attempt = 1, maxRetries = 3;

        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = r.GetString();
            r.Read();
            switch (name)
            {
                case "id": id = r.GetString(); break;
                case "timestamp": timestamp = r.TokenType == JsonTokenType.String ? r.GetDateTimeOffset() : null; break;
                case "platform": platform = r.GetString(); break;
                case "org": org = r.GetString(); break;
                case "repo": repo = r.GetString(); break;
                case "event_type": eventType = r.GetString(); break;
                case "action": action = r.GetString(); break;
                case "trigger_name": trigger = r.GetString(); break;
                case "priority": priority = r.GetString(); break;
                case "target":
                    Expect(ref r, JsonTokenType.StartObject, "target");
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        var tn = r.GetString();
                        r.Read();
                        if (tn == "kind") targetKind = r.GetString();
                        else if (tn == "name") targetName = r.GetString();
                        else r.Skip();
                    }
                    break;
                case "payload":
                    if (r.TokenType == JsonTokenType.Null) break;
                    var start = (int)r.TokenStartIndex;
                    r.Skip();
                    var end = (int)r.BytesConsumed;
                    payload = bytes[start..end];
                    break;
                case "metadata":
                    Expect(ref r, JsonTokenType.StartObject, "metadata");
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        var mn = r.GetString();
                        r.Read();
                        switch (mn)
                        {
                            case "delivery_id": deliveryId = r.GetString(); break;
                            case "attempt": attempt = r.GetInt32(); break;
                            case "max_retries": maxRetries = r.GetInt32(); break;
                            case "traceparent": traceparent = r.GetString(); break;
                            case "command": command = r.GetString(); break;
                            case "args": args = r.GetString(); break;
                            case "sender": sender = r.GetString(); break;
                            case "channel": channel = r.GetString(); break;
                            case "text": text = r.GetString(); break;
                            default: r.Skip(); break;
                        }
                    }
                    break;
                default: r.Skip(); break;
            }
        }

        Require(id, "id");
        Require(platform, "platform");
        Require(eventType, "event_type");
        Require(trigger, "trigger_name");
        Require(targetName, "target.name");
        if (!EventTarget.TryParseKind(targetKind, out var kind))
            throw new EnvelopeFormatException($"envelope field 'target.kind' has unknown value '{targetKind}'");
        if (!PriorityNames.TryParse(priority, out var prio))
            throw new EnvelopeFormatException($"envelope field 'priority' has unknown value '{priority}'");

        return new EventEnvelope
        {
            Id = id!,
            Timestamp = timestamp ?? throw new EnvelopeFormatException("envelope is missing 'timestamp'"),
            Platform = platform!,
            Org = org,
            Repo = repo,
            EventType = eventType!,
            Action = action,
            TriggerName = trigger!,
            Target = new EventTarget(kind, targetName!),
            Priority = prio,
            Payload = payload,
            Metadata = new EnvelopeMetadata
            {
                DeliveryId = deliveryId, Attempt = attempt, MaxRetries = maxRetries,
                Traceparent = traceparent, Command = command, Args = args, Sender = sender,
                Channel = channel, Text = text,
            },
        };
    }

    private static void Expect(ref Utf8JsonReader r, JsonTokenType type, string field)
    {
        if (r.TokenType != type) throw new EnvelopeFormatException($"envelope field '{field}' must be {type}");
    }

    private static void Require(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) throw new EnvelopeFormatException($"envelope is missing '{field}'");
    }
}

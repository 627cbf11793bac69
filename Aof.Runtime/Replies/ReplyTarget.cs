using System.Text.Json;
using Aof.Core.Events;

namespace Aof.Runtime.Replies;

/// <summary>Where an event came from, as far as a reply needs: a GitHub issue or PR, or a Slack channel thread.</summary>
public sealed record ReplyTarget(string Platform, string? Repo, int? Number, string? Channel, string? ThreadTs)
{
    public const string GitHub = "github";
    public const string Slack = "slack";

    public override string ToString() => Platform == GitHub ? $"{Repo}#{Number}" : $"slack {Channel} thread {ThreadTs}";

    /// <summary>Null when the event has nowhere to answer (a push, a Slack event without a channel...).</summary>
    public static ReplyTarget? From(EventEnvelope envelope)
    {
        if (envelope.Payload.IsEmpty) return null;
        try
        {
            using var doc = JsonDocument.Parse(envelope.Payload);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            return envelope.Platform.ToLowerInvariant() switch
            {
                GitHub => FromGitHub(envelope, root),
                Slack => FromSlack(root),
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ReplyTarget? FromGitHub(EventEnvelope envelope, JsonElement root)
    {
        var repo = root.TryGetProperty("repository", out var r) && r.TryGetProperty("full_name", out var fn) ? fn.GetString() : envelope.Repo;
        int? number = null;
        foreach (var holder in new[] { "issue", "pull_request" })
            if (number is null && root.TryGetProperty(holder, out var item) && item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("number", out var n) && n.TryGetInt32(out var v))
                number = v;
        if (number is null && root.TryGetProperty("number", out var top) && top.TryGetInt32(out var tv)) number = tv;
        return repo is null || number is null || !repo.Contains('/') ? null : new ReplyTarget(GitHub, repo, number, null, null);
    }

    private static ReplyTarget? FromSlack(JsonElement root)
    {
        var ev = root.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.Object ? e : root;
        var channel = Str(ev, "channel") ?? Str(ev, "channel_id");
        // Answer in the thread the message belongs to, or start one under the message itself.
        var thread = Str(ev, "thread_ts") ?? Str(ev, "ts");
        return channel is null ? null : new ReplyTarget(Slack, null, null, channel, thread);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

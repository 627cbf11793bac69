using System.Text;
using System.Text.Json;
using Aof.Core.Events;

namespace Aof.Runtime.Agents;

/// <summary>
/// The user message an agent gets for an event. For GitHub: repository, PR or issue number, title, body, URL,
/// the comment, and the arguments after a slash command. For Slack: channel, user and text. Other platforms:
/// the event's kind and its payload (capped), so the agent still sees what happened.
/// </summary>
public static class PromptBuilder
{
    private const int MaxBodyChars = 16 * 1024;
    private const int MaxPayloadChars = 24 * 1024;

    public static string Build(EventEnvelope envelope)
    {
        JsonElement root = default;
        var parsed = false;
        if (!envelope.Payload.IsEmpty)
        {
            try
            {
                using var doc = JsonDocument.Parse(envelope.Payload);
                root = doc.RootElement.Clone();
                parsed = root.ValueKind == JsonValueKind.Object;
            }
            catch (JsonException)
            {
                parsed = false;
            }
        }

        var text = new StringBuilder();
        switch (envelope.Platform.ToLowerInvariant())
        {
            case "github" when parsed:
                GitHub(envelope, root, text);
                break;
            case "slack" when parsed:
                Slack(envelope, root, text);
                break;
            default:
                Generic(envelope, text);
                break;
        }
        return text.ToString().TrimEnd();
    }

    private static void GitHub(EventEnvelope e, JsonElement root, StringBuilder t)
    {
        t.Append("GitHub event: ").Append(e.EventType);
        if (e.Action is { } a) t.Append(" (").Append(a).Append(')');
        t.AppendLine();
        var repo = Str(root, "repository", "full_name") ?? e.Repo;
        if (repo is not null) t.Append("Repository: ").AppendLine(repo);

        var item = root.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object ? pr
            : root.TryGetProperty("issue", out var issue) && issue.ValueKind == JsonValueKind.Object ? issue
            : default;
        if (item.ValueKind == JsonValueKind.Object)
        {
            var isPr = root.TryGetProperty("pull_request", out _) || item.TryGetProperty("pull_request", out _);
            var number = item.TryGetProperty("number", out var n) ? n.ToString() : "?";
            t.Append(isPr ? "Pull request #" : "Issue #").Append(number);
            if (Str(item, "title") is { } title) t.Append(": ").Append(title);
            t.AppendLine();
            if (Str(item, "html_url") is { } url) t.Append("URL: ").AppendLine(url);
            if (Str(item, "user", "login") is { } author) t.Append("Author: ").AppendLine(author);
            if (isPr && Str(item, "head", "ref") is { } head) t.Append("Branch: ").Append(head).Append(" -> ").AppendLine(Str(item, "base", "ref") ?? "?");
            if (Str(item, "body") is { Length: > 0 } body) t.AppendLine().AppendLine("Description:").AppendLine(Cap(body, MaxBodyChars));
        }

        if (Str(root, "comment", "body") is { Length: > 0 } comment)
        {
            t.AppendLine().Append("Comment");
            if (Str(root, "comment", "user", "login") is { } by) t.Append(" by ").Append(by);
            t.AppendLine(":").AppendLine(Cap(comment, MaxBodyChars));
        }
        Command(e, t);
        if (item.ValueKind != JsonValueKind.Object && root.TryGetProperty("comment", out _) is false)
            Payload(e, t);
    }

    private static void Slack(EventEnvelope e, JsonElement root, StringBuilder t)
    {
        var ev = root.TryGetProperty("event", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : root;
        t.Append("Slack event: ").AppendLine(Str(ev, "type") ?? e.EventType);
        if (Str(ev, "channel") is { } channel) t.Append("Channel: ").AppendLine(channel);
        if ((Str(ev, "user") ?? Str(ev, "user_name")) is { } user) t.Append("User: ").AppendLine(user);
        if (Str(ev, "text") is { Length: > 0 } text) t.AppendLine().AppendLine("Message:").AppendLine(Cap(text, MaxBodyChars));
        Command(e, t);
    }

    private static void Generic(EventEnvelope e, StringBuilder t)
    {
        t.Append(e.Platform).Append(" event: ").Append(e.EventType);
        if (e.Action is { } a) t.Append(" (").Append(a).Append(')');
        t.AppendLine();
        if (e.Repo is { } repo) t.Append("Repository: ").AppendLine(repo);
        Command(e, t);
        Payload(e, t);
    }

    private static void Command(EventEnvelope e, StringBuilder t)
    {
        if (e.Metadata.Command is { } cmd)
        {
            t.AppendLine().Append("Command: ").AppendLine(cmd);
            if (!string.IsNullOrWhiteSpace(e.Metadata.Args)) t.Append("Arguments: ").AppendLine(e.Metadata.Args);
        }
        if (e.Metadata.Sender is { } sender) t.Append("Requested by: ").AppendLine(sender);
    }

    private static void Payload(EventEnvelope e, StringBuilder t)
    {
        if (e.Payload.IsEmpty) return;
        t.AppendLine().AppendLine("Payload:").AppendLine(Cap(Encoding.UTF8.GetString(e.Payload.Span), MaxPayloadChars));
    }

    private static string? Str(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.ToString(),
            _ => null,
        };
    }

    private static string Cap(string s, int max) => s.Length <= max ? s : s[..max] + "\n[truncated]";
}

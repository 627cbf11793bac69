using System.Text.Json;
using Aof.Core.Triggers;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.GitHub;

/// <summary>
/// Reads the handful of fields trigger matching needs from a GitHub delivery with a forward-only
/// <see cref="Utf8JsonReader"/>: nothing else of the payload is materialized, and the payload bytes travel
/// on unchanged in the envelope.
/// </summary>
public static class GitHubEventReader
{
    public const string EventHeader = "X-GitHub-Event";
    public const string DeliveryHeader = "X-GitHub-Delivery";
    private const string FormContentType = "application/x-www-form-urlencoded";

    /// <summary>
    /// The JSON of a delivery: the body itself, or, when GitHub was configured to send
    /// <c>application/x-www-form-urlencoded</c>, the decoded value of its <c>payload</c> field.
    /// </summary>
    public static ReadOnlyMemory<byte> ExtractJson(ReadOnlyMemory<byte> body, string? contentType)
    {
        if (!IsForm(contentType)) return body;
        return FormPayload.Extract(body.Span)
               ?? throw new WebhookFormatException("form-encoded body has no 'payload' field");
    }

    /// <summary>Reads the matching fields. Throws <see cref="WebhookFormatException"/> when the JSON is not an object or not valid.</summary>
    public static GitHubEvent Read(string eventType, ReadOnlySpan<byte> json)
    {
        string? action = null, gitRef = null, fullName = null, ownerLogin = null, orgLogin = null;
        string? baseRef = null, sender = null, commentBody = null;

        var r = new Utf8JsonReader(json);
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
                throw new WebhookFormatException("body is not a JSON object");

            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("action"u8)) { r.Read(); action = StringOrSkip(ref r); }
                else if (r.ValueTextEquals("ref"u8)) { r.Read(); gitRef = StringOrSkip(ref r); }
                else if (r.ValueTextEquals("repository"u8)) { r.Read(); ReadRepository(ref r, ref fullName, ref ownerLogin); }
                else if (r.ValueTextEquals("organization"u8)) { r.Read(); orgLogin = ObjectString(ref r, "login"u8); }
                else if (r.ValueTextEquals("pull_request"u8)) { r.Read(); baseRef = ReadPullRequestBaseRef(ref r); }
                else if (r.ValueTextEquals("sender"u8)) { r.Read(); sender = ObjectString(ref r, "login"u8); }
                else if (r.ValueTextEquals("comment"u8)) { r.Read(); commentBody = ObjectString(ref r, "body"u8); }
                else { r.Read(); r.Skip(); }
            }
            // Reading past the closing brace validates that nothing but whitespace follows.
            while (r.Read()) { }
        }
        catch (JsonException ex)
        {
            throw new WebhookFormatException($"body is not valid JSON: {ex.Message}", ex);
        }

        return new GitHubEvent
        {
            EventType = eventType,
            Action = action,
            Repository = fullName,
            Org = orgLogin ?? ownerLogin,
            Branch = BranchOf(eventType, gitRef, baseRef),
            Sender = sender,
            CommentBody = eventType is "issue_comment" or "pull_request_review_comment" ? commentBody : null,
        };
    }

    /// <summary>The top-level <c>zen</c> string of a ping delivery (null when absent).</summary>
    public static string? ReadZen(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json);
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
                throw new WebhookFormatException("body is not a JSON object");
            string? zen = null;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var hit = r.ValueTextEquals("zen"u8);
                r.Read();
                if (hit) zen = StringOrSkip(ref r); else r.Skip();
            }
            while (r.Read()) { }
            return zen;
        }
        catch (JsonException ex)
        {
            throw new WebhookFormatException($"body is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>push: refs/heads/x -> x (a tag is not a branch); pull_request*: the base branch; others: none.</summary>
    private static string? BranchOf(string eventType, string? gitRef, string? baseRef)
    {
        if (eventType == "push")
            return gitRef is not null && gitRef.StartsWith("refs/heads/", StringComparison.Ordinal) ? gitRef["refs/heads/".Length..] : null;
        return eventType.StartsWith("pull_request", StringComparison.Ordinal) ? baseRef : null;
    }

    private static bool IsForm(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var semicolon = contentType.IndexOf(';');
        var media = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return media.Equals(FormContentType, StringComparison.OrdinalIgnoreCase);
    }

    private static void ReadRepository(ref Utf8JsonReader r, ref string? fullName, ref string? ownerLogin)
    {
        if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return; }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("full_name"u8)) { r.Read(); fullName = StringOrSkip(ref r); }
            else if (r.ValueTextEquals("owner"u8)) { r.Read(); ownerLogin = ObjectString(ref r, "login"u8); }
            else { r.Read(); r.Skip(); }
        }
    }

    private static string? ReadPullRequestBaseRef(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return null; }
        string? baseRef = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var hit = r.ValueTextEquals("base"u8);
            r.Read();
            if (hit) baseRef = ObjectString(ref r, "ref"u8); else r.Skip();
        }
        return baseRef;
    }

    /// <summary>Positioned on a value: when it is an object, the string value of its property <paramref name="name"/>; the rest is skipped.</summary>
    private static string? ObjectString(ref Utf8JsonReader r, ReadOnlySpan<byte> name)
    {
        if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return null; }
        string? value = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var hit = r.ValueTextEquals(name);
            r.Read();
            if (hit) value = StringOrSkip(ref r); else r.Skip();
        }
        return value;
    }

    /// <summary>A string value, or null for anything else (null, number, object...), which is skipped.</summary>
    private static string? StringOrSkip(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.String) return r.GetString();
        r.Skip();
        return null;
    }
}

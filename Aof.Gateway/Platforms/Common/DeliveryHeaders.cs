using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Common;

public static class DeliveryHeaders
{
    /// <summary>A header the delivery cannot be processed without (its dedup id): missing -> 400.</summary>
    public static string Required(HttpRequest request, string name)
    {
        var value = request.Headers[name].ToString();
        return string.IsNullOrWhiteSpace(value) ? throw new WebhookFormatException($"missing {name} header") : value.Trim();
    }

    public static string? Optional(HttpRequest request, string name)
    {
        var value = request.Headers[name].ToString();
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>A body field the delivery cannot be deduplicated without: missing -> 400.</summary>
    public static string RequiredField(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw new WebhookFormatException($"body has no {field}") : value;
}

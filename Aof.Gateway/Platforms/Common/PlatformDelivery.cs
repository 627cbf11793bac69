using Aof.Core.Triggers;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Common;

/// <summary>
/// What an adapter read from a verified body: either a request the platform answers itself (Slack's
/// url_verification, Discord's PING) or an event to match, with the JSON payload the envelope carries.
/// </summary>
public sealed record PlatformDelivery(PlatformEvent? Event, ReadOnlyMemory<byte> Payload, WebhookResult? Special = null)
{
    public static PlatformDelivery Answer(WebhookResult result) => new(null, default, result);
    public static PlatformDelivery Of(PlatformEvent ev, ReadOnlyMemory<byte> payload) => new(ev, payload);
}

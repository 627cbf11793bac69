namespace Aof.Gateway.Webhooks;

/// <summary>A platform that also answers <c>GET /webhook/{platform}</c> (WhatsApp's subscription handshake).</summary>
public interface IWebhookHandshake
{
    WebhookResult Handshake(HttpRequest request);
}

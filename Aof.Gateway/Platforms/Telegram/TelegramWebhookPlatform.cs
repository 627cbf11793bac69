using System.Text;
using Aof.Core.Resources;
using Aof.Core.Triggers;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Telegram;

/// <summary>
/// Telegram Bot API webhooks: the <c>secret_token</c> given to setWebhook comes back in
/// <c>X-Telegram-Bot-Api-Secret-Token</c> (compared in constant time); dedup by <c>update_id</c>.
/// </summary>
public sealed class TelegramWebhookPlatform(PlatformServices services) : SignedWebhookPlatform<byte[]>(services)
{
    public const string PlatformName = "telegram";
    public const string TokenHeader = "X-Telegram-Bot-Api-Secret-Token";
    private static readonly string[] UpdateKinds = ["message", "edited_message", "channel_post", "edited_channel_post", "callback_query"];

    public override string Name => PlatformName;
    protected override string TriggerType => "Telegram";
    protected override string SecretKey => "secret_token";
    protected override string SignatureDescription => TokenHeader;

    protected override byte[] ParseKey(string secret, TriggerResource trigger) => Encoding.UTF8.GetBytes(secret);

    protected override bool Verify(HttpRequest request, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now) =>
        HmacHex.TokenEquals(DeliveryHeaders.Optional(request, TokenHeader), key);

    protected override PlatformDelivery Read(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        using var doc = JsonFields.ParseObject(body);
        var root = doc.RootElement;
        var updateId = DeliveryHeaders.RequiredField(JsonFields.Text(root, "update_id"), "update_id");
        var kind = UpdateKinds.FirstOrDefault(k => root.TryGetProperty(k, out _)) ?? "update";

        // A callback query carries its message under "message"; its text is the button's data.
        string[] msg = kind == "callback_query" ? ["callback_query", "message"] : [kind];
        var chatId = JsonFields.Text(root, [.. msg, "chat", "id"]);
        var text = kind == "callback_query"
            ? JsonFields.Text(root, "callback_query", "data")
            : JsonFields.FirstText(root, [.. msg, "text"], [.. msg, "caption"]);
        string[] from = kind == "callback_query" ? ["callback_query", "from"] : [kind, "from"];

        var ev = new PlatformEvent
        {
            Platform = PlatformName,
            EventType = kind,
            Channel = chatId,
            ChatId = chatId,
            User = JsonFields.FirstText(root, [.. from, "username"], [.. from, "id"]),
            Text = WithoutBotName(text),
            DeliveryId = updateId,
        };
        return PlatformDelivery.Of(ev, body);
    }

    /// <summary>"/deploy@my_bot prod" -> "/deploy prod": in groups Telegram addresses commands to a bot by name.</summary>
    public static string? WithoutBotName(string? text)
    {
        if (text is null || !text.StartsWith('/')) return text;
        var end = text.IndexOfAny([' ', '\n', '\t']);
        var word = end < 0 ? text : text[..end];
        var at = word.IndexOf('@');
        return at < 0 ? text : word[..at] + (end < 0 ? "" : text[end..]);
    }
}

using Aof.Gateway.Admin;
using Aof.Gateway.Platforms.Bitbucket;
using Aof.Gateway.Platforms.Common;
using Aof.Gateway.Platforms.Discord;
using Aof.Gateway.Platforms.Generic;
using Aof.Gateway.Platforms.GitHub;
using Aof.Gateway.Platforms.GitLab;
using Aof.Gateway.Platforms.Jira;
using Aof.Gateway.Platforms.Opsgenie;
using Aof.Gateway.Platforms.PagerDuty;
using Aof.Gateway.Platforms.Slack;
using Aof.Gateway.Platforms.Telegram;
using Aof.Gateway.Platforms.WhatsApp;
using Aof.Gateway.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Aof.Gateway;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The gateway's own services: platform adapters, the webhook receiver, the envelope publisher.
    /// Needs what <c>AddAofBackends</c> (IMessageQueue, IExecutionStore, AofOptions) and
    /// <c>AddAofResources</c> (ResourceCatalog) register.
    /// </summary>
    public static IServiceCollection AddAofGateway(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EnvelopePublisher>();
        services.TryAddSingleton(sp => new PlatformCredentials(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton<PlatformServices>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, GitHubWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, GitLabWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, BitbucketWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, SlackWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, DiscordWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, TelegramWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, WhatsAppWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, JiraWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, PagerDutyWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, OpsgenieWebhookPlatform>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, GenericWebhookPlatform>());
        // Secrets are checked at start: a missing one stops the gateway instead of failing every delivery.
        services.AddHostedService<PlatformStartupCheck>();
        services.TryAddSingleton<WebhookReceiver>();
        return services;
    }

    /// <summary>Maps <c>POST /webhook/{platform}</c> and the admin API under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapAofGateway(this IEndpointRouteBuilder app)
    {
        // Plain request delegates over the one receiver: a parameter resolved from DI would open a service scope per
        // request, and minimal-API binding adds its own work to the hottest path of the gateway.
        var receiver = app.ServiceProvider.GetRequiredService<WebhookReceiver>();
        app.MapPost("/webhook/{platform}", context => receiver.HandleAsync(context, PlatformOf(context)));
        app.MapGet("/webhook/{platform}", context => receiver.HandleHandshakeAsync(context, PlatformOf(context)));
        app.MapAofAdmin();
        return app;
    }

    private static string PlatformOf(HttpContext context) => (string)context.Request.RouteValues["platform"]!;
}

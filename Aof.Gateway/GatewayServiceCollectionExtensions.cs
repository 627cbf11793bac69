using Aof.Gateway.Admin;
using Aof.Gateway.Platforms.GitHub;
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookPlatform, GitHubWebhookPlatform>());
        services.TryAddSingleton<WebhookReceiver>();
        return services;
    }

    /// <summary>Maps <c>POST /webhook/{platform}</c> and the admin API under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapAofGateway(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhook/{platform}", (HttpContext context, string platform, WebhookReceiver receiver) =>
            receiver.HandleAsync(context, platform));
        app.MapAofAdmin();
        return app;
    }
}

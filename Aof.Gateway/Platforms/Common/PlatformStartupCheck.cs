using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Platforms.Common;

/// <summary>
/// Checks every adapter's secrets when the gateway starts, so a missing or empty secret stops the start
/// with a message naming it, rather than turning into 401s for every delivery later.
/// </summary>
public sealed class PlatformStartupCheck(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolving the credentials checks every platforms.*.*_env variable.
        _ = services.GetRequiredService<PlatformCredentials>();
        var errors = new List<string>();
        foreach (var platform in services.GetServices<IWebhookPlatform>().OfType<IValidatedPlatform>())
        {
            try
            {
                platform.Validate();
            }
            catch (PlatformConfigurationException ex)
            {
                errors.Add(ex.Message);
            }
        }
        return errors.Count == 0 ? Task.CompletedTask : throw new PlatformConfigurationException(string.Join(Environment.NewLine, errors));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

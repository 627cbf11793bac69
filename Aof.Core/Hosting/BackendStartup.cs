using Aof.Core.Executions;
using Aof.Core.Queue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aof.Core.Hosting;

/// <summary>
/// Creates the backends (and so the broker connection) while the host starts, before the server takes
/// traffic. Created lazily by the first request instead, a broker connection is made under load, and the
/// requests that queue up behind it can starve the thread pool the connection itself needs. A broker that is
/// down does not stop the start: the queue reports unavailable (503, /health not ready) until it is back.
/// </summary>
internal sealed partial class BackendStartup(IServiceProvider services, ILogger<BackendStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var queue = (IMessageQueue)services.GetService(typeof(IMessageQueue))!;
        _ = services.GetService(typeof(IExecutionStore));
        try
        {
            await queue.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QueueUnavailableException ex)
        {
            LogUnavailable(logger, queue.Backend, ex.Message);
        }
        _ = services.GetService(typeof(Telemetry.QueueDepthGauge)); // after initialisation: its first sample reads the queue
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Backend} queue is not reachable at start ({Error}); retrying in the background")]
    private static partial void LogUnavailable(ILogger logger, string backend, string error);
}

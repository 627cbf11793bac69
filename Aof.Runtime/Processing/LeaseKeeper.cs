using System.Collections.Concurrent;
using Aof.Core.Queue;
using Microsoft.Extensions.Logging;

namespace Aof.Runtime.Processing;

/// <summary>
/// Renews the lease of every delivery this worker holds (buffered or executing) every
/// <c>VisibilityTimeout / 3</c>, so long executions and a full buffer are not redelivered to another worker.
/// </summary>
public sealed class LeaseKeeper(IMessageQueue queue, TimeSpan visibilityTimeout, ILogger logger)
{
    private readonly ConcurrentDictionary<Delivery, byte> _held = new(ReferenceEqualityComparer.Instance);

    public TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(Math.Max(50, visibilityTimeout.TotalMilliseconds / 3));

    public int Count => _held.Count;

    public void Track(Delivery delivery) => _held.TryAdd(delivery, 0);

    public void Forget(Delivery delivery) => _held.TryRemove(delivery, out _);

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                await Task.WhenAll(_held.Keys.Select(d => RenewAsync(d, ct)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped with the processor.
        }
    }

    private async Task RenewAsync(Delivery delivery, CancellationToken ct)
    {
        try
        {
            await queue.RenewLeaseAsync(delivery, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Settled meanwhile, or the broker is briefly away; the next tick tries again.
            if (_held.ContainsKey(delivery))
                logger.LogWarning(ex, "Could not renew the lease of message {MessageId}", delivery.MessageId);
        }
    }
}

using Aof.Core.Queue;
using Aof.Core.Queue.InMemory;

namespace Aof.Tests.Queue;

public sealed class InMemoryQueueContractTests : QueueContractTests
{
    protected override Task<IMessageQueue> CreateQueueCoreAsync(QueueOptions options) =>
        Task.FromResult<IMessageQueue>(new InMemoryMessageQueue(options, TimeProvider.System));

    // In one process every consumer shares the one queue instance.
    protected override Task<IMessageQueue> CreateConsumerCoreAsync(IMessageQueue first, QueueOptions options) =>
        Task.FromResult(first);
}

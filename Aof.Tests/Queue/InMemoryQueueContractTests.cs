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

    // The in-memory queue cannot be shared with another process: the "dead" consumer is an in-process lease that
    // is simply abandoned (never acked, renewed or released).
    protected override async Task<string> LeaseInAConsumerThatDiesAsync(IMessageQueue queue, QueueOptions options) =>
        (await FetchOneAsync(queue)).MessageId;

    [Fact(Timeout = TestTimeoutMs, DisplayName = "Memory: an abandoned in-process delivery (memory cannot cross processes, so no SIGKILL) is redelivered after the lease")]
    public override Task A_consumer_that_dies_without_acking_loses_its_lease_and_the_message_is_redelivered() =>
        base.A_consumer_that_dies_without_acking_loses_its_lease_and_the_message_is_redelivered();
}

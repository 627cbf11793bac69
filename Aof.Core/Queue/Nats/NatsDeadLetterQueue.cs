using Aof.Core.Events;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// Dead letters in the stream <c>{prefix}-dlq</c> (limits retention, file storage), one subject per message:
/// <c>{prefix}.dlq.{message id}</c> with max one message per subject. The stream's own subject index is the
/// id lookup: get = "last message of that subject", purge = purge of that subject, and dead-lettering a message
/// again replaces its old entry. That needs neither a separate id -> sequence index that could drift from the
/// stream (a KV bucket written after the publish) nor a scan of the stream by header. Each entry is the
/// original body with the original headers (less <c>Nats-Msg-Id</c>) plus reason, last error, attempts, lane,
/// max retries and time.
/// </summary>
internal sealed class NatsDeadLetterQueue(NatsMessageQueue queue, INatsJSContext js, NatsNames names, TimeProvider time) : IDeadLetterQueue
{
    // Room kept for the headers of a dead letter besides the error text.
    private const int HeaderAllowance = 1024;
    private const int MaxErrorChars = 16 * 1024;

    public async Task AddAsync(Delivery delivery, NatsHeaders? original, string reason, string? lastError, int attempts, CancellationToken ct)
    {
        var headers = new NatsHeaders();
        if (original is not null)
        {
            foreach (var (key, values) in original)
            {
                if (key is NatsHeaderNames.NatsMsgId or NatsHeaderNames.AttemptBase) continue;
                headers[key] = values;
            }
        }
        headers[NatsHeaderNames.Id] = delivery.MessageId;
        headers[NatsHeaderNames.MaxRetries] = NatsHeaderNames.Number(delivery.MaxRetries);
        headers[NatsHeaderNames.Reason] = NatsHeaderNames.Encode(reason);
        headers[NatsHeaderNames.Attempts] = NatsHeaderNames.Number(attempts);
        headers[NatsHeaderNames.Lane] = delivery.Priority.ToWire();
        headers[NatsHeaderNames.DeadLetteredAt] = NatsHeaderNames.Number(time.GetUtcNow().ToUnixTimeMilliseconds());
        if (lastError is not null)
        {
            var budget = queue.MaxPayload > 0
                ? queue.MaxPayload - delivery.Body.Length - NatsMessageQueue.HeaderSize(headers) - HeaderAllowance
                : MaxErrorChars * 3;
            headers[NatsHeaderNames.Error] = FitError(lastError, budget);
        }

        var ack = await js.PublishAsync(names.DeadLetterSubject(delivery.MessageId), delivery.Body, headers: headers, cancellationToken: ct)
            .ConfigureAwait(false);
        ack.EnsureSuccess();
    }

    /// <summary>The percent-encoded error, cut so the dead letter still fits the server's max payload.</summary>
    private static string FitError(string error, int budget)
    {
        if (error.Length > MaxErrorChars) error = error[..MaxErrorChars];
        var encoded = NatsHeaderNames.Encode(error);
        while (encoded.Length > Math.Max(0, budget) && error.Length > 0)
        {
            error = error[..(error.Length / 2)];
            encoded = NatsHeaderNames.Encode(error);
        }
        return encoded;
    }

    public async Task<IReadOnlyList<DeadLetterEntry>> ListAsync(int offset, int limit, CancellationToken ct)
    {
        if (limit <= 0) return [];
        offset = Math.Max(0, offset);
        try
        {
            var stream = (await queue.ReadyAsync(TimeSpan.Zero, ct).ConfigureAwait(false)).DeadLetterStream;
            await stream.RefreshAsync(ct).ConfigureAwait(false);
            var state = stream.Info.State;
            var page = new List<DeadLetterEntry>(limit);
            if (state.Messages == 0) return page;

            // Newest first: walk the sequences down, skipping deleted ones (replayed, purged, replaced).
            // O(offset + limit + gaps), fine for an admin listing.
            var skipped = 0;
            for (var seq = state.LastSeq; seq >= state.FirstSeq && seq > 0 && page.Count < limit; seq--)
            {
                var stored = await TryGetAsync(stream, new StreamMsgGetRequest { Seq = seq }, ct).ConfigureAwait(false);
                if (stored is null) continue;
                if (skipped++ < offset) continue;
                page.Add(Parse(stored));
            }
            return page;
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("dead-letter list", ex);
        }
    }

    public async Task<DeadLetterEntry?> GetAsync(string messageId, CancellationToken ct)
    {
        try
        {
            var stream = (await queue.ReadyAsync(TimeSpan.Zero, ct).ConfigureAwait(false)).DeadLetterStream;
            var stored = await TryGetAsync(stream, new StreamMsgGetRequest { LastBySubj = names.DeadLetterSubject(messageId) }, ct)
                .ConfigureAwait(false);
            return stored is null ? null : Parse(stored);
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("dead-letter get", ex);
        }
    }

    /// <summary>
    /// Publishes the message back on its lane with attempt 1, then deletes the entry. The republish carries
    /// <c>Nats-Msg-Id = {id}:replay:{dlq sequence}</c>, so two concurrent replays of one entry store it once.
    /// </summary>
    public async Task<bool> ReplayAsync(string messageId, CancellationToken ct)
    {
        try
        {
            var stream = (await queue.ReadyAsync(TimeSpan.Zero, ct).ConfigureAwait(false)).DeadLetterStream;
            var stored = await TryGetAsync(stream, new StreamMsgGetRequest { LastBySubj = names.DeadLetterSubject(messageId) }, ct)
                .ConfigureAwait(false);
            if (stored is null) return false;

            var entry = Parse(stored);
            var headers = NatsHeaderNames.ParseStored(stored.Hdrs);
            var maxRetries = NatsHeaderNames.GetInt(headers, NatsHeaderNames.MaxRetries, 0);
            var laneHeaders = NatsMessageQueue.LaneHeaders(messageId, maxRetries,
                NatsHeaderNames.Number(time.GetUtcNow().ToUnixTimeMilliseconds()), copyAttempt: 1);
            laneHeaders[NatsHeaderNames.NatsMsgId] = $"{NatsNames.Token(messageId)}:replay:{stored.Seq}";
            await queue.PublishToLaneAsync(entry.Priority, entry.Body, laneHeaders, ct).ConfigureAwait(false);

            try
            {
                await stream.DeleteMessageAsync(new StreamMsgDeleteRequest { Seq = stored.Seq, NoErase = true }, ct).ConfigureAwait(false);
            }
            catch (NatsJSApiException ex) when (NatsFailures.IsNotFound(ex))
            {
                // A concurrent replay deleted it first; Nats-Msg-Id kept the lane from getting it twice.
            }
            return true;
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("dead-letter replay", ex);
        }
    }

    public async Task<bool> PurgeAsync(string messageId, CancellationToken ct)
    {
        try
        {
            var stream = (await queue.ReadyAsync(TimeSpan.Zero, ct).ConfigureAwait(false)).DeadLetterStream;
            var purged = await stream.PurgeAsync(new StreamPurgeRequest { Filter = names.DeadLetterSubject(messageId) }, ct)
                .ConfigureAwait(false);
            return purged.Purged > 0;
        }
        catch (Exception ex) when (NatsFailures.IsUnavailable(ex, ct))
        {
            throw NatsFailures.Unavailable("dead-letter purge", ex);
        }
    }

    private static async Task<StoredMessage?> TryGetAsync(INatsJSStream stream, StreamMsgGetRequest request, CancellationToken ct)
    {
        try
        {
            return (await stream.GetAsync(request, ct).ConfigureAwait(false)).Message;
        }
        catch (NatsJSApiException ex) when (NatsFailures.IsNotFound(ex))
        {
            return null;
        }
    }

    private static DeadLetterEntry Parse(StoredMessage stored)
    {
        var h = NatsHeaderNames.ParseStored(stored.Hdrs);
        PriorityNames.TryParse(NatsHeaderNames.Get(h, NatsHeaderNames.Lane), out var lane);
        var atMs = NatsHeaderNames.GetLong(h, NatsHeaderNames.DeadLetteredAt, 0);
        return new DeadLetterEntry(
            NatsHeaderNames.Get(h, NatsHeaderNames.Id) ?? $"nats-dlq-{stored.Seq}",
            lane,
            stored.Data.ToArray(),
            NatsHeaderNames.Decode(NatsHeaderNames.Get(h, NatsHeaderNames.Reason)) ?? "",
            NatsHeaderNames.Decode(NatsHeaderNames.Get(h, NatsHeaderNames.Error)),
            NatsHeaderNames.GetInt(h, NatsHeaderNames.Attempts, 0),
            atMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(atMs) : stored.Time);
    }
}

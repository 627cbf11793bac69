using System.Text;
using NATS.Client.KeyValueStore;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// Dedup claims in the KV bucket <c>{prefix}-dedup</c> (max age = the dedup window): the first publisher of a
/// delivery id creates the key, holding the message ids it is about to publish; a later publisher of the same
/// id finds the key and gets those original ids back, which the gateway answers with. JetStream's own
/// <c>Nats-Msg-Id</c> dedup cannot return them, hence the bucket; the events stream still gets
/// <c>Nats-Msg-Id = {key}:{index}</c> as a second guard against storing a message twice.
/// <para>
/// A claim has two phases, because claim and publish are two steps: it is created <em>pending</em> and marked
/// <em>done</em> once its messages are stored. Only a done claim answers "duplicate". A pending claim is a
/// publish in progress (the caller is told to retry later) — or one that never finished: its create can reach
/// the server after the publisher gave up (it sat in the client's buffer through a reconnect) while its
/// messages never did. A pending claim older than <see cref="StaleAfter"/> is therefore taken over, and the
/// new publisher keeps the original id of every message JetStream reports as already stored.
/// </para>
/// </summary>
internal sealed class NatsDedup(INatsKVStore bucket, TimeSpan window, TimeProvider time)
{
    private const int MaxRaces = 5;
    private const string Pending = "P", Done = "D";

    /// <summary>How long a pending claim is taken for a publish in progress. Far above any publish's ack timeout.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <param name="Duplicate">The key was already done: <see cref="MessageIds"/> are the original ids.</param>
    /// <param name="PreviousIds">Set when this claim took over a stale pending one: the ids that one had reserved.</param>
    public readonly record struct Claim(bool Duplicate, IReadOnlyList<string> MessageIds, string Key, ulong Revision,
        IReadOnlyList<string>? PreviousIds = null);

    /// <summary>
    /// Creates a pending claim for <paramref name="dedupKey"/>, returns the ids of a done claim that already holds
    /// it, or takes over a stale pending one. Throws <see cref="QueueUnavailableException"/> while another
    /// publish of the same key is in progress.
    /// </summary>
    public async Task<Claim> TryClaimAsync(string dedupKey, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var key = NatsNames.Token(dedupKey);
        var value = Encode(Pending, ids);
        for (var race = 0; ; race++)
        {
            try
            {
                var revision = await bucket.CreateAsync(key, value, cancellationToken: ct).ConfigureAwait(false);
                return new Claim(false, ids, key, revision);
            }
            catch (NatsKVCreateException) when (race < MaxRaces)
            {
                // Taken: read it. It may also have expired or been released meanwhile; then claim again.
            }
            var entry = await bucket.TryGetEntryAsync<byte[]>(key, cancellationToken: ct).ConfigureAwait(false);
            if (!entry.Success) continue;
            var e = entry.Value;
            var (phase, stored) = Decode(e.Value);
            var age = time.GetUtcNow() - e.Created;
            if (age < window)
            {
                if (phase == Done) return new Claim(true, stored, key, e.Revision);
                if (age < StaleAfter)
                    throw new QueueUnavailableException($"a publish of delivery '{dedupKey}' is in progress; retry later");
            }
            // Past the window, or pending for too long: take it over, revision-checked.
            var taken = await bucket.TryUpdateAsync(key, value, e.Revision, cancellationToken: ct).ConfigureAwait(false);
            if (taken.Success) return new Claim(false, ids, key, taken.Value, phase == Pending && age < window ? stored : null);
        }
    }

    /// <summary>Marks the claim done with the ids the sender is answered with. False when it changed meanwhile.</summary>
    public async Task<bool> CompleteAsync(Claim claim, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var updated = await bucket.TryUpdateAsync(claim.Key, Encode(Done, ids), claim.Revision, cancellationToken: ct).ConfigureAwait(false);
        return updated.Success;
    }

    /// <summary>Gives a claim up after its publish failed, so the sender's retry is not taken for a duplicate.</summary>
    public async Task ReleaseAsync(Claim claim, CancellationToken ct) =>
        await bucket.TryDeleteAsync(claim.Key, new NatsKVDeleteOpts { Revision = claim.Revision }, ct).ConfigureAwait(false);

    private static byte[] Encode(string phase, IReadOnlyList<string> ids) =>
        Encoding.UTF8.GetBytes(phase + "\n" + string.Join('\n', ids));

    private static (string Phase, string[] Ids) Decode(byte[]? value)
    {
        var lines = value is { Length: > 0 } bytes ? Encoding.UTF8.GetString(bytes).Split('\n') : [];
        return lines.Length > 0 && lines[0] is Pending or Done ? (lines[0], lines[1..]) : (Done, lines);
    }
}

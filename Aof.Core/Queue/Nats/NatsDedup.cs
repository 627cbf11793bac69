using System.Text;
using NATS.Client.KeyValueStore;

namespace Aof.Core.Queue.Nats;

/// <summary>
/// Dedup claims in the KV bucket <c>{prefix}-dedup</c> (max age = the dedup window): the first publisher of a
/// delivery id creates the key, holding the message ids it is about to publish; a later publisher of the same
/// id finds the key and gets those original ids back, which the gateway answers with. JetStream's own
/// <c>Nats-Msg-Id</c> dedup cannot return them, hence the bucket; the events stream still gets
/// <c>Nats-Msg-Id = {key}:{index}</c> as a second guard against storing a message twice.
/// </summary>
internal sealed class NatsDedup(INatsKVStore bucket, TimeSpan window, TimeProvider time)
{
    private const int MaxRaces = 5;

    public readonly record struct Claim(bool Duplicate, IReadOnlyList<string> MessageIds, string Key, ulong Revision);

    /// <summary>Creates the claim for <paramref name="dedupKey"/>, or returns the ids of the claim that already holds it.</summary>
    public async Task<Claim> TryClaimAsync(string dedupKey, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var key = NatsNames.Token(dedupKey);
        var value = Encoding.UTF8.GetBytes(string.Join('\n', ids));
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
            if (e.Created + window > time.GetUtcNow())
            {
                var stored = e.Value is { Length: > 0 } bytes ? Encoding.UTF8.GetString(bytes).Split('\n') : [];
                return new Claim(true, stored, key, e.Revision);
            }

            // Past the window but not yet removed by the server's age check: take it over, revision-checked.
            var taken = await bucket.TryUpdateAsync(key, value, e.Revision, cancellationToken: ct).ConfigureAwait(false);
            if (taken.Success) return new Claim(false, ids, key, taken.Value);
        }
    }

    /// <summary>Gives a claim up after its publish failed, so the sender's retry is not taken for a duplicate.</summary>
    public async Task ReleaseAsync(Claim claim, CancellationToken ct) =>
        await bucket.TryDeleteAsync(claim.Key, new NatsKVDeleteOpts { Revision = claim.Revision }, ct).ConfigureAwait(false);
}

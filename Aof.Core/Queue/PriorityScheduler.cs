using Aof.Core.Events;

namespace Aof.Core.Queue;

/// <summary>
/// Decides how many messages a fetch of N takes from each lane: smooth weighted round-robin over the lanes
/// (high 6, normal 3, low 1), one slot at a time. Lanes that have nothing (or have run out) take no slot, so
/// their share flows to the lanes that do. The state carries over between fetches, so even fetches of one
/// message serve low once in every ten slots while all lanes are busy: high first, low never starves.
/// Shared by every backend; thread-safe.
/// </summary>
public sealed class PriorityScheduler
{
    public const int LaneCount = 3;

    private readonly int[] _weights;
    private readonly int _totalWeight;
    private readonly int[] _current = new int[LaneCount];
    private readonly Lock _lock = new();

    public PriorityScheduler(int highWeight = 6, int normalWeight = 3, int lowWeight = 1)
    {
        if (highWeight <= 0 || normalWeight <= 0 || lowWeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(highWeight), "lane weights must be positive");
        _weights = [highWeight, normalWeight, lowWeight];
        _totalWeight = highWeight + normalWeight + lowWeight;
    }

    /// <summary>Lane weight by priority.</summary>
    public int WeightOf(Priority lane) => _weights[(int)lane];

    /// <summary>
    /// Splits <paramref name="max"/> slots over the lanes. <paramref name="available"/> (indexed by
    /// <see cref="Priority"/>) caps each lane: its known backlog, <see cref="long.MaxValue"/> when unknown,
    /// 0 when empty. Returns the quota per lane (indexed by <see cref="Priority"/>); the sum is at most
    /// <paramref name="max"/> and less only when the lanes hold fewer messages.
    /// </summary>
    public int[] Plan(int max, ReadOnlySpan<long> available)
    {
        if (available.Length != LaneCount)
            throw new ArgumentException($"expected {LaneCount} lanes", nameof(available));
        var quotas = new int[LaneCount];
        if (max <= 0) return quotas;

        lock (_lock)
        {
            for (var slot = 0; slot < max; slot++)
            {
                // Smooth WRR (as in nginx): every eligible lane earns its weight, the richest lane takes the
                // slot and pays the total of the eligible weights back.
                var best = -1;
                var eligibleWeight = 0;
                for (var lane = 0; lane < LaneCount; lane++)
                {
                    if (quotas[lane] >= available[lane]) continue;
                    _current[lane] += _weights[lane];
                    eligibleWeight += _weights[lane];
                    if (best < 0 || _current[lane] > _current[best]) best = lane;
                }
                if (best < 0) break;
                _current[best] -= eligibleWeight;
                quotas[best]++;
            }
        }
        return quotas;
    }

    /// <summary><see cref="Plan(int, ReadOnlySpan{long})"/> with every lane's backlog unknown.</summary>
    public int[] Plan(int max) => Plan(max, [long.MaxValue, long.MaxValue, long.MaxValue]);
}

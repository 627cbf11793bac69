using Aof.AppHost.Telemetry.Store;

namespace Aof.AppHost.Dashboard;

/// <summary>
/// Turns stored metric series into chart lines over fixed time buckets: rates per second from counters (cumulative or
/// delta), last values from gauges, and percentiles from explicit-bucket histograms. A counter's increase between two
/// exports is spread over the time between them, so a 10 s export interval still draws a steady rate.
/// </summary>
public sealed class MetricMath(DateTimeOffset from, DateTimeOffset to, int buckets)
{
    public DateTimeOffset From { get; } = from;

    public DateTimeOffset To { get; } = to;

    public int Buckets { get; } = buckets;

    public TimeSpan BucketSize => (To - From) / Buckets;

    /// <summary>
    /// Where to start reading points: a little before <see cref="From"/>, so the first interval inside the window has
    /// its starting point.
    /// </summary>
    public DateTimeOffset QueryFrom => From - BucketSize * 10;

    /// <summary>
    /// A cumulative series whose first point we hold began within what we read: that point counts from zero at its
    /// start time (otherwise its history before the window is unknown and it only serves as a baseline).
    /// </summary>
    private bool CountsFromZero(MetricPoint first) => first.StartTime is { } start && start >= QueryFrom && start < first.Time;

    /// <summary>Per-second rate of a counter (summed over the given series: instances, attribute sets).</summary>
    public double?[] Rate(IEnumerable<MetricSeries> series)
    {
        var result = new double?[Buckets];
        foreach (var s in series)
        {
            // Per series: the increase that falls in each bucket over the seconds of it that exports covered, so a
            // bucket only partly covered (the newest one) shows the rate, not a fraction of it.
            var increase = new double[Buckets];
            var seconds = new double[Buckets];
            foreach (var (start, end, amount) in Increases(s))
            {
                var span = (end - start).TotalSeconds;
                if (span > 0) Spread(start, end, amount / span, increase, seconds);
            }
            for (var i = 0; i < Buckets; i++)
                if (seconds[i] > 0) result[i] = (result[i] ?? 0) + increase[i] / seconds[i];
        }
        return result;
    }

    /// <summary>
    /// A gauge: per bucket, each series' last value in it. Series with the same <paramref name="sameQuantity"/> key
    /// measure one thing from several processes (every service reports the one queue's depth): the largest of them
    /// counts, once. Different keys (priority lanes) add up. Without a key every series is its own quantity.
    /// </summary>
    public double?[] Gauge(IEnumerable<MetricSeries> series, Func<MetricSeries, string>? sameQuantity = null)
    {
        var result = new double?[Buckets];
        var index = 0;
        foreach (var group in series.GroupBy(s => sameQuantity?.Invoke(s) ?? (index++).ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var max = new double?[Buckets];
            foreach (var s in group)
            {
                var last = new double?[Buckets];
                foreach (var p in s.Points)
                {
                    if (p.Value is { } v && Index(p.Time) is { } i) last[i] = v;
                }
                for (var i = 0; i < Buckets; i++)
                    if (last[i] is { } v) max[i] = Math.Max(max[i] ?? double.MinValue, v);
            }
            for (var i = 0; i < Buckets; i++)
                if (max[i] is { } v) result[i] = (result[i] ?? 0) + v;
        }
        return result;
    }

    /// <summary>The <paramref name="quantile"/> (0..1) of the observations recorded in each bucket (histograms).</summary>
    public double?[] Percentile(IReadOnlyList<MetricSeries> series, double quantile)
    {
        var perBucket = new Dictionary<int, (IReadOnlyList<double> Bounds, double[] Counts)>();
        foreach (var s in series)
        {
            HistogramValue? previous = null;
            foreach (var p in s.Points)
            {
                if (p.Histogram is not { } h) continue;
                var counts = h.BucketCounts.Select(c => (double)c).ToArray();
                if (s.IsCumulative && previous is { } prev && prev.BucketCounts.Count == counts.Length && prev.Count <= h.Count)
                    for (var i = 0; i < counts.Length; i++) counts[i] -= prev.BucketCounts[i];
                else if (s.IsCumulative && previous is null && !CountsFromZero(p))
                {
                    previous = h; // a baseline: what it counts happened before the window
                    continue;
                }
                previous = h;
                if (Index(p.Time) is not { } bucket) continue;
                if (!perBucket.TryGetValue(bucket, out var acc) || acc.Counts.Length != counts.Length)
                    perBucket[bucket] = acc = (h.Bounds, new double[counts.Length]);
                for (var i = 0; i < counts.Length; i++) acc.Counts[i] += counts[i];
            }
        }
        var result = new double?[Buckets];
        foreach (var (bucket, (bounds, counts)) in perBucket) result[bucket] = Quantile(bounds, counts, quantile);
        return result;
    }

    /// <summary>Linear interpolation inside the explicit bucket that holds the quantile (as Prometheus' histogram_quantile).</summary>
    public static double? Quantile(IReadOnlyList<double> bounds, IReadOnlyList<double> counts, double quantile)
    {
        var total = counts.Sum();
        if (total <= 0) return null;
        var rank = quantile * total;
        double seen = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            if (counts[i] <= 0 || seen + counts[i] < rank)
            {
                seen += counts[i];
                continue;
            }
            var lower = i == 0 ? 0 : bounds[i - 1];
            if (i >= bounds.Count) return lower; // the overflow bucket has no upper bound: its lower bound is the best estimate
            var upper = bounds[i];
            return lower + (upper - lower) * ((rank - seen) / counts[i]);
        }
        return bounds.Count > 0 ? bounds[^1] : null;
    }

    private IEnumerable<(DateTimeOffset Start, DateTimeOffset End, double Increase)> Increases(MetricSeries s)
    {
        MetricPoint? previous = null;
        foreach (var p in s.Points)
        {
            if (p.Value is not { } value) continue;
            if (!s.IsCumulative)
            {
                // A delta point covers StartTime..Time.
                if (p.StartTime is { } start && start < p.Time) yield return (start, p.Time, value);
            }
            else if (previous is null && CountsFromZero(p))
            {
                yield return (p.StartTime!.Value, p.Time, value);
            }
            else if (previous is { Value: { } before })
            {
                // A smaller value is a restart of the process: it counted from zero again.
                var increase = value >= before ? value - before : value;
                yield return (previous.Time, p.Time, increase);
            }
            previous = p;
        }
    }

    private void Spread(DateTimeOffset start, DateTimeOffset end, double ratePerSecond, double[] increase, double[] seconds)
    {
        for (var i = 0; i < Buckets; i++)
        {
            var bucketStart = From + BucketSize * i;
            var bucketEnd = bucketStart + BucketSize;
            var overlap = (Min(end, bucketEnd) - Max(start, bucketStart)).TotalSeconds;
            if (overlap <= 0) continue;
            increase[i] += ratePerSecond * overlap;
            seconds[i] += overlap;
        }
    }

    private int? Index(DateTimeOffset time)
    {
        if (time < From || time > To) return null;
        return Math.Min(Buckets - 1, (int)((time - From) / BucketSize));
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

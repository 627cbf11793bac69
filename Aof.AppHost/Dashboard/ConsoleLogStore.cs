using System.Threading.Channels;

namespace Aof.AppHost.Dashboard;

/// <summary>One console line: its global sequence number (for SSE resumption), when, from which resource, the text.</summary>
public sealed record LogLine(long Sequence, DateTimeOffset Time, string Source, string Text);

/// <summary>
/// The recent console lines of every resource (and of the AppHost itself), kept in memory so the Console page survives
/// a reload: a bounded ring per source, so a chatty worker cannot push out the lines of a quiet one, and live
/// subscribers for server-sent events. A slow subscriber loses its oldest unsent lines, never blocks the writers.
/// </summary>
public sealed class ConsoleLogStore(int linesPerSource = ConsoleLogStore.DefaultLinesPerSource)
{
    public const int DefaultLinesPerSource = 2000;
    private const int SubscriberBuffer = 1000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<LogLine>> _rings = new(StringComparer.Ordinal);
    private readonly List<Channel<LogLine>> _subscribers = [];
    private long _sequence;

    public int LinesPerSource { get; } = linesPerSource;

    public void Add(string source, string text)
    {
        lock (_lock)
        {
            var line = new LogLine(++_sequence, DateTimeOffset.UtcNow, source, text);
            if (!_rings.TryGetValue(source, out var ring)) _rings[source] = ring = new Queue<LogLine>();
            ring.Enqueue(line);
            if (ring.Count > LinesPerSource) ring.Dequeue();
            foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(line);
        }
    }

    /// <summary>The sources that have written, sorted.</summary>
    public IReadOnlyList<string> Sources
    {
        get { lock (_lock) return [.. _rings.Keys.Order(StringComparer.Ordinal)]; }
    }

    /// <summary>Kept lines after <paramref name="after"/>, oldest first, of one source (null: all) containing <paramref name="search"/>.</summary>
    public IReadOnlyList<LogLine> Recent(string? source, string? search, long after = 0, int limit = DefaultLinesPerSource)
    {
        List<LogLine> lines;
        lock (_lock)
        {
            lines = source is null
                ? [.. _rings.Values.SelectMany(r => r)]
                : _rings.TryGetValue(source, out var ring) ? [.. ring] : [];
        }
        IEnumerable<LogLine> query = lines.Where(l => l.Sequence > after && Matches(l, search));
        if (source is null) query = query.OrderBy(l => l.Sequence);
        var result = query.ToList();
        return result.Count > limit ? result[^limit..] : result;
    }

    public static bool Matches(LogLine line, string? search) =>
        string.IsNullOrEmpty(search) || line.Text.Contains(search, StringComparison.OrdinalIgnoreCase);

    /// <summary>Every line added from now on until <paramref name="ct"/> is cancelled.</summary>
    public async IAsyncEnumerable<LogLine> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock) _subscribers.Add(channel);
        try
        {
            await foreach (var line in channel.Reader.ReadAllAsync(ct)) yield return line;
        }
        finally
        {
            lock (_lock) _subscribers.Remove(channel);
        }
    }
}

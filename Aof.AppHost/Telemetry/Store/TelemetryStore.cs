namespace Aof.AppHost.Telemetry.Store;

/// <summary>
/// What the AppHost's OTLP receiver received, in memory and bounded (a ring per signal: oldest traces, least recently
/// updated series and oldest log records go first), with the queries a dashboard needs. Thread-safe; every query
/// returns a snapshot. <see cref="Version"/> and <see cref="Changed"/> tell readers that something new arrived.
/// </summary>
public sealed class TelemetryStore(TelemetryStoreOptions? options = null)
{
    private readonly TelemetryStoreOptions _options = options ?? new TelemetryStoreOptions();
    private readonly Lock _lock = new();

    // Traces in order of their first span; a trace keeps its place when later spans join it.
    private readonly Dictionary<string, LinkedListNode<TraceEntry>> _traces = new(StringComparer.Ordinal);
    private readonly LinkedList<TraceEntry> _traceOrder = new();
    private int _spanCount;

    private readonly Dictionary<string, SeriesEntry> _series = new(StringComparer.Ordinal);
    private long _seriesClock;

    private readonly Queue<LogEntry> _logs = new();
    private readonly SortedSet<string> _services = new(StringComparer.Ordinal);
    private long _version;

    public TelemetryStoreOptions Options => _options;

    /// <summary>Goes up on every change.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Raised after spans, metric points or logs were added (on the receiving thread; keep handlers short).</summary>
    public event EventHandler? Changed;

    /// <summary>Every service name seen in any signal, sorted.</summary>
    public IReadOnlyList<string> GetServices()
    {
        lock (_lock) return [.. _services];
    }

    public int SpanCount
    {
        get { lock (_lock) return _spanCount; }
    }

    public int TraceCount
    {
        get { lock (_lock) return _traces.Count; }
    }

    public void AddSpans(IReadOnlyCollection<SpanData> spans)
    {
        if (spans.Count == 0) return;
        lock (_lock)
        {
            foreach (var span in spans)
            {
                _services.Add(span.Service);
                if (!_traces.TryGetValue(span.TraceId, out var node))
                {
                    node = _traceOrder.AddLast(new TraceEntry(span.TraceId));
                    _traces[span.TraceId] = node;
                }
                // An exporter that retries may send a span twice: keep one.
                var existing = node.Value.Spans.FindIndex(s => s.SpanId == span.SpanId);
                if (existing >= 0) node.Value.Spans[existing] = span;
                else
                {
                    node.Value.Spans.Add(span);
                    _spanCount++;
                }
            }
            while (_spanCount > _options.MaxSpans && _traceOrder.First is { } oldest)
            {
                _traceOrder.RemoveFirst();
                _traces.Remove(oldest.Value.TraceId);
                _spanCount -= oldest.Value.Spans.Count;
            }
        }
        OnChanged();
    }

    public void AddMetrics(IReadOnlyCollection<MetricSample> samples)
    {
        if (samples.Count == 0) return;
        lock (_lock)
        {
            foreach (var sample in samples)
            {
                _services.Add(sample.Resource.Service);
                var key = sample.SeriesKey;
                if (!_series.TryGetValue(key, out var entry))
                {
                    if (_series.Count >= _options.MaxMetricSeries) EvictLeastRecentSeries();
                    entry = new SeriesEntry(sample);
                    _series[key] = entry;
                }
                entry.Latest = sample;
                entry.Touched = ++_seriesClock;
                entry.Points.Enqueue(sample.Point);
                while (entry.Points.Count > _options.MaxPointsPerSeries) entry.Points.Dequeue();
            }
        }
        OnChanged();
    }

    public void AddLogs(IReadOnlyCollection<LogEntry> logs)
    {
        if (logs.Count == 0) return;
        lock (_lock)
        {
            foreach (var log in logs)
            {
                _services.Add(log.Service);
                _logs.Enqueue(log);
            }
            while (_logs.Count > _options.MaxLogs) _logs.Dequeue();
        }
        OnChanged();
    }

    /// <summary>Traces matching <paramref name="query"/>, newest first (by the start of their earliest span).</summary>
    public IReadOnlyList<TraceData> GetTraces(TraceQuery? query = null)
    {
        query ??= new TraceQuery();
        List<TraceData> all;
        lock (_lock) all = _traceOrder.Select(t => t.Snapshot()).ToList();
        return all
            .Where(t => query.Service is null || t.Spans.Any(s => s.Service == query.Service))
            .Where(t => query.Status is null || t.Status == query.Status)
            .Where(t => query.Since is null || t.Start >= query.Since)
            .OrderByDescending(t => t.Start)
            .Take(Math.Max(0, query.Limit))
            .ToList();
    }

    /// <summary>One trace by its id (32 hex digits, any case); null when not (or no longer) held.</summary>
    public TraceData? GetTrace(string traceId)
    {
        lock (_lock)
            return _traces.TryGetValue(traceId.ToLowerInvariant(), out var node) ? node.Value.Snapshot() : null;
    }

    /// <summary>Names of every metric held, sorted.</summary>
    public IReadOnlyList<string> GetMetricNames()
    {
        lock (_lock) return _series.Values.Select(s => s.Latest.Name).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Series matching <paramref name="query"/>, by name, service, instance; points oldest first.</summary>
    public IReadOnlyList<MetricSeries> GetMetrics(MetricQuery? query = null)
    {
        query ??= new MetricQuery();
        var result = new List<MetricSeries>();
        lock (_lock)
        {
            foreach (var entry in _series.Values)
            {
                var s = entry.Latest;
                if (query.Name is not null && s.Name != query.Name) continue;
                if (query.Service is not null && s.Resource.Service != query.Service) continue;
                var points = entry.Points.Where(p => query.Since is null || p.Time >= query.Since).ToList();
                if (points.Count == 0) continue;
                result.Add(new MetricSeries(s.Name, s.Description, s.Unit, s.Kind, s.IsMonotonic, s.IsCumulative, s.Resource, s.Attributes, points));
            }
        }
        return result
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ThenBy(s => s.Resource.Service, StringComparer.Ordinal)
            .ThenBy(s => s.Resource.Instance, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Log records matching <paramref name="query"/>, newest first.</summary>
    public IReadOnlyList<LogEntry> GetLogs(LogQuery? query = null)
    {
        query ??= new LogQuery();
        LogEntry[] all;
        lock (_lock) all = _logs.ToArray();
        var result = new List<LogEntry>();
        for (var i = all.Length - 1; i >= 0 && result.Count < query.Limit; i--)
        {
            var log = all[i];
            if (query.Service is not null && log.Service != query.Service) continue;
            if (query.MinSeverity is { } min && log.SeverityNumber < min) continue;
            if (query.TraceId is not null && !string.Equals(log.TraceId, query.TraceId, StringComparison.OrdinalIgnoreCase)) continue;
            if (query.Since is { } since && log.Time < since) continue;
            if (query.Contains is { Length: > 0 } text && !log.Message.Contains(text, StringComparison.OrdinalIgnoreCase)) continue;
            result.Add(log);
        }
        return result;
    }

    private void EvictLeastRecentSeries()
    {
        var oldest = _series.MinBy(s => s.Value.Touched);
        _series.Remove(oldest.Key);
    }

    private void OnChanged()
    {
        Interlocked.Increment(ref _version);
        Changed?.Invoke(this, EventArgs.Empty);
    }

    private sealed class TraceEntry(string traceId)
    {
        public string TraceId { get; } = traceId;

        public List<SpanData> Spans { get; } = [];

        public TraceData Snapshot() => new(TraceId, Spans.OrderBy(s => s.Start).ToList());
    }

    private sealed class SeriesEntry(MetricSample first)
    {
        public MetricSample Latest { get; set; } = first;

        public long Touched { get; set; }

        public Queue<MetricPoint> Points { get; } = new();
    }
}

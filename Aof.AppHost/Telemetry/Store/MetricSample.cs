namespace Aof.AppHost.Telemetry.Store;

/// <summary>One received data point with what identifies its series; the store groups samples into <see cref="MetricSeries"/>.</summary>
public sealed record MetricSample(
    string Name,
    string Description,
    string Unit,
    MetricKind Kind,
    bool IsMonotonic,
    bool IsCumulative,
    TelemetryResource Resource,
    IReadOnlyDictionary<string, string> Attributes,
    MetricPoint Point)
{
    /// <summary>Name, service, instance and attributes: what makes two samples the same series.</summary>
    internal string SeriesKey =>
        string.Join('\u001f', [Name, Resource.Service, Resource.Instance ?? "", .. Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}")]);
}

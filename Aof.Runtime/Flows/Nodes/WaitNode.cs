using System.Globalization;
using System.Text.Json.Nodes;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows.Durable;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Wait</c>: pauses the flow durably. Config: <c>duration</c> ("90s", "5m", "2h", "1d", or seconds) or
/// <c>seconds</c>. The flow's state is saved and its message deferred: no worker is held while waiting, and any
/// worker resumes it. Output: <c>{waited_ms}</c>. A zero duration goes straight on.
/// </summary>
public sealed class WaitNode(TimeProvider? time = null) : INodeHandler
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Type => "Wait";

    public bool CanSuspend => true;

    public Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var duration = ReadDuration(node.Config);
        if (duration <= TimeSpan.Zero) return Task.FromResult(new NodeResult(new JsonObject { ["waited_ms"] = 0 }));
        return Task.FromResult(new NodeResult(null) { Suspend = new FlowWait(FlowCheckpoint.WaitKind, _time.GetUtcNow() + duration) });
    }

    private static TimeSpan ReadDuration(JsonObject config)
    {
        if (config.ContainsKey("seconds")) return TimeSpan.FromSeconds(NodeConfig.GetInt(config, "seconds", 0));
        var text = NodeConfig.GetString(config, "duration") ?? throw NodeConfig.Missing("config.duration");
        return ParseDuration(text) ?? throw new PermanentExecutionException(DeadLetterReasons.PermanentFailure,
            $"config.duration '{text}' is not a duration (examples: 30s, 5m, 2h, 1d, or a number of seconds)");
    }

    /// <summary>"30s", "5m", "2h", "1d", "250ms" or plain seconds.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim().ToLowerInvariant();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ when text.EndsWith('h') => (text[..^1], 3600),
            _ when text.EndsWith('d') => (text[..^1], 86400),
            _ => (text, 1),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 && n * scale < TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(n * scale)
            : null;
    }
}

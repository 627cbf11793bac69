using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Core.Queue;
using Aof.Core.Resources;
using Aof.Runtime.Execution;

namespace Aof.Runtime.Flows.Nodes;

/// <summary>
/// <c>type: Script</c> with <c>config.script_config</c>: <c>command</c> (run by /bin/sh -c, templates rendered),
/// <c>working_dir</c>, <c>env</c>, <c>timeout_seconds</c> (60), <c>parse</c> (text | json | lines) and
/// <c>fail_on_error</c> (true). The envelope JSON is written to stdin and the event's fields are in AOF_*
/// variables. A non-zero exit or a timeout is a retryable failure.
/// </summary>
public sealed class ScriptNode : INodeHandler
{
    public const int DefaultTimeoutSeconds = 60;

    public string Type => "Script";

    public async Task<NodeResult> ExecuteAsync(FlowNode node, FlowContext context, CancellationToken ct)
    {
        var config = NodeConfig.GetObject(node.Config, "script_config") ?? throw NodeConfig.Missing("config.script_config");
        var command = NodeConfig.GetString(config, "command");
        if (string.IsNullOrWhiteSpace(command))
        {
            throw config.ContainsKey("tool")
                ? new PermanentExecutionException(DeadLetterReasons.PermanentFailure, "native tools (script_config.tool) are not supported by this runtime yet; use script_config.command")
                : NodeConfig.Missing("config.script_config.command");
        }

        var parse = (NodeConfig.GetString(config, "parse") ?? "text").ToLowerInvariant();
        if (parse is not ("text" or "json" or "lines"))
            throw NodeConfig.Invalid("script_config.parse", "text, json or lines");
        var timeoutSeconds = NodeConfig.GetInt(config, "timeout_seconds", DefaultTimeoutSeconds);
        if (timeoutSeconds <= 0) throw NodeConfig.Invalid("script_config.timeout_seconds", "a positive number of seconds");
        var failOnError = NodeConfig.GetBool(config, "fail_on_error", true);
        var workingDir = NodeConfig.GetString(config, "working_dir") is { } wd ? context.RenderText(wd) : null;

        var outcome = await ScriptProcess.RunAsync(
            context.RenderText(command),
            workingDir,
            Environment(context, NodeConfig.GetObject(config, "env")),
            context.Request.Body.IsEmpty ? EnvelopeCodec.Serialize(context.Event) : context.Request.Body,
            TimeSpan.FromSeconds(timeoutSeconds),
            ct);

        if (outcome.ExitCode != 0 && failOnError)
        {
            var stderr = outcome.StderrTail.Length == 0 ? "(no stderr)" : outcome.StderrTail;
            throw new ExecutionFailedException($"script exited with code {outcome.ExitCode}: {stderr}");
        }
        return new NodeResult(Parse(outcome, parse));
    }

    private static Dictionary<string, string> Environment(FlowContext context, JsonObject? extra)
    {
        var e = context.Event;
        var m = e.Metadata;
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AOF_EVENT_ID"] = e.Id,
            ["AOF_PLATFORM"] = e.Platform,
            ["AOF_EVENT_TYPE"] = e.EventType,
            ["AOF_ACTION"] = e.Action ?? "",
            ["AOF_REPO"] = e.Repo ?? "",
            ["AOF_ORG"] = e.Org ?? "",
            ["AOF_TRIGGER"] = e.TriggerName,
            ["AOF_DELIVERY_ID"] = m.DeliveryId ?? "",
            ["AOF_ATTEMPT"] = context.Request.Attempt.ToString(CultureInfo.InvariantCulture),
            ["AOF_COMMAND"] = m.Command ?? "",
            ["AOF_ARGS"] = m.Args ?? "",
            ["AOF_SENDER"] = m.Sender ?? "",
        };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
                env[key] = value is JsonValue v && v.GetValueKind() == JsonValueKind.String
                    ? context.RenderText(v.GetValue<string>())
                    : value?.ToJsonString() ?? "";
        }
        return env;
    }

    private static JsonNode? Parse(ScriptOutcome outcome, string mode)
    {
        var text = Encoding.UTF8.GetString(outcome.Stdout);
        switch (mode)
        {
            case "json":
                if (outcome.StdoutTruncated)
                    throw new ExecutionFailedException($"stdout exceeded {ScriptProcess.StdoutLimitBytes} bytes and cannot be parsed as JSON");
                if (string.IsNullOrWhiteSpace(text)) return null;
                try { return JsonNode.Parse(text); }
                catch (JsonException ex) { throw new ExecutionFailedException($"stdout is not valid JSON (parse: json): {ex.Message}", ex); }
            case "lines":
                var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
                if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
                return new JsonArray([.. lines.Select(l => (JsonNode?)JsonValue.Create(l))]);
            default:
                // Like $(...) in a shell: trailing newlines are not part of the value.
                return JsonValue.Create(text.TrimEnd('\n', '\r'));
        }
    }
}

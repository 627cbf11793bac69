using System.Text;
using System.Text.Json.Nodes;
using Aof.Core.Events;
using Aof.Runtime.Execution;
using Aof.Runtime.Flows;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Runtime;

public sealed class ScriptNodeTests : IDisposable
{
    private static readonly FlowExecutor Executor = FlowExecutor.CreateDefault();
    private readonly string _dir = Directory.CreateTempSubdirectory("aof-script-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<FlowResult> Run(Aof.Core.Resources.FlowNode node, ExecutionRequest? request = null, CancellationToken ct = default) =>
        Executor.ExecuteAsync(Chain("scripted", node), request ?? Request(), ct).WaitAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task The_event_envelope_arrives_on_stdin()
    {
        var envelope = Envelope();
        var request = Request(envelope);
        var result = await Run(Script("read", "cat", """{"parse": "json"}"""), request);

        var output = result.Output!.AsObject();
        Assert.Equal(envelope.Id, output["id"]!.GetValue<string>());
        Assert.Equal("review", output["target"]!["name"]!.GetValue<string>());
        Assert.Equal(42, output["payload"]!["number"]!.GetValue<int>());
        Assert.Equal("d-1", output["metadata"]!["delivery_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stdin_is_the_delivery_body_as_received()
    {
        var envelope = Envelope();
        var body = EnvelopeCodec.Serialize(envelope);
        var result = await Run(Script("read", "cat"), new ExecutionRequest(envelope, 1, body));
        Assert.Equal(Encoding.UTF8.GetString(body), result.OutputText);
    }

    [Fact]
    public async Task Event_fields_are_in_aof_environment_variables()
    {
        var envelope = Envelope();
        const string cmd = "printf '%s|' \"$AOF_EVENT_ID\" \"$AOF_PLATFORM\" \"$AOF_EVENT_TYPE\" \"$AOF_ACTION\" \"$AOF_REPO\" \"$AOF_ORG\" "
                         + "\"$AOF_TRIGGER\" \"$AOF_DELIVERY_ID\" \"$AOF_ATTEMPT\" \"$AOF_COMMAND\" \"$AOF_ARGS\" \"$AOF_SENDER\"";
        var result = await Run(Script("env", cmd), Request(envelope, attempt: 3));
        Assert.Equal($"{envelope.Id}|github|pull_request|opened|myorg/myrepo|myorg|pr-trigger|d-1|3|/review|fast please|alice|", result.OutputText);
    }

    [Fact]
    public async Task Unset_event_fields_are_empty_variables()
    {
        var e = Envelope();
        var bare = new EventEnvelope
        {
            Id = e.Id, Timestamp = e.Timestamp, Platform = "slack", EventType = "message", TriggerName = "t", Target = e.Target,
        };
        var result = await Run(Script("env", "printf '[%s][%s][%s][%s]' \"${AOF_ACTION-unset}\" \"${AOF_REPO-unset}\" \"${AOF_COMMAND-unset}\" \"${AOF_SENDER-unset}\""), Request(bare));
        Assert.Equal("[][][][]", result.OutputText);
    }

    [Fact]
    public async Task Command_env_and_working_dir_are_rendered()
    {
        var node = Script("cfg", "echo \"${event.repo} $GREETING $(pwd)\"",
            $$"""{"env": {"GREETING": "hi ${event.sender}"}, "working_dir": "{{_dir}}"}""");
        var result = await Run(node);
        Assert.Equal($"myorg/myrepo hi alice {_dir}", result.OutputText);
    }

    [Theory]
    [InlineData("text", "printf 'a\\nb\\n\\n'", "\"a\\nb\"")]
    [InlineData("lines", "printf 'a\\nb\\r\\n\\nc\\n'", """["a","b","","c"]""")]
    [InlineData("json", "echo '{\"ok\": true, \"n\": [1,2]}'", """{"ok":true,"n":[1,2]}""")]
    [InlineData("json", "true", "null")]
    public async Task Stdout_is_parsed(string parse, string command, string expectedJson)
    {
        var result = await Run(Script("p", command, $$"""{"parse": "{{parse}}"}"""));
        Assert.Equal(expectedJson, result.Output?.ToJsonString() ?? "null");
    }

    [Fact]
    public async Task A_non_zero_exit_is_a_retryable_failure_with_code_and_stderr_tail()
    {
        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() =>
            Run(Script("fail", "echo partial; echo 'first line' >&2; echo 'kubectl: not found' >&2; exit 3")));
        Assert.Contains("node 'fail' (Script)", ex.Message);
        Assert.Contains("exited with code 3", ex.Message);
        Assert.Contains("kubectl: not found", ex.Message);
    }

    [Fact]
    public async Task The_stderr_tail_is_bounded()
    {
        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() =>
            Run(Script("noisy", "head -c 200000 /dev/zero | tr '\\0' x >&2; echo THE-END >&2; exit 1")));
        Assert.EndsWith("THE-END", ex.Message);
        Assert.True(ex.Message.Length < 5000, $"message length {ex.Message.Length}");
    }

    [Fact]
    public async Task Fail_on_error_false_keeps_the_output()
    {
        var result = await Run(Script("soft", "echo still here; exit 4", """{"fail_on_error": false}"""));
        Assert.Equal("still here", result.OutputText);
    }

    [Fact]
    public async Task Invalid_json_output_is_a_failure()
    {
        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(Script("j", "echo not-json", """{"parse": "json"}""")));
        Assert.Contains("not valid JSON", ex.Message);
    }

    [Fact]
    public async Task Big_outputs_on_both_pipes_do_not_deadlock_and_stdout_is_capped()
    {
        // 3 MiB on stdout and 1 MiB on stderr, interleaved: both pipes must be drained concurrently.
        var node = Script("big", "for i in 1 2 3; do head -c 1048576 /dev/zero | tr '\\0' o; head -c 349525 /dev/zero | tr '\\0' e >&2; done");
        var result = await Run(node);
        var text = result.OutputText!;
        Assert.Equal(1 << 20, text.Length);
        Assert.All(text, c => Assert.Equal('o', c));
    }

    [Fact]
    public async Task A_big_event_is_fed_to_a_script_that_does_not_read_stdin()
    {
        var big = "{\"blob\":\"" + new string('x', 2_000_000) + "\"}";
        var result = await Run(Script("ignore", "echo ignored"), Request(Envelope(payload: big)));
        Assert.Equal("ignored", result.OutputText);

        var counted = await Run(Script("count", "wc -c"), Request(Envelope(payload: big)));
        Assert.True(int.Parse(counted.OutputText!.Trim()) > 2_000_000);
    }

    [Fact]
    public async Task A_timeout_kills_the_process_tree_and_is_retryable()
    {
        var pidFile = Path.Combine(_dir, "child.pid");
        var node = Script("slow", $"sleep 30 & echo $! > {pidFile}; wait", """{"timeout_seconds": 1}""");

        var ex = await Assert.ThrowsAsync<ExecutionFailedException>(() => Run(node));
        Assert.Contains("timed out after 1s", ex.Message);
        AssertProcessGone(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim()));
    }

    [Fact]
    public async Task Cancellation_kills_the_process()
    {
        var pidFile = Path.Combine(_dir, "child.pid");
        var node = Script("slow", $"sleep 30 & echo $! > {pidFile}; wait");
        using var cts = new CancellationTokenSource();
        var run = Run(node, ct: cts.Token);
        await WaitUntil(() => File.Exists(pidFile) && new FileInfo(pidFile).Length > 0);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        AssertProcessGone(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim()));
    }

    [Fact]
    public async Task Native_tools_and_bad_config_fail_permanently()
    {
        var tool = new Aof.Core.Resources.FlowNode
        {
            Id = "pods", Type = "Script",
            Config = JsonNode.Parse("""{"script_config": {"tool": "kubectl", "action": "get"}}""")!.AsObject(),
        };
        var ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(tool));
        Assert.Contains("native tools", ex.Message);

        ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(Script("p", "true", """{"parse": "yaml"}""")));
        Assert.Contains("parse", ex.Message);

        ex = await Assert.ThrowsAsync<PermanentExecutionException>(() => Run(Node("s", "Script")));
        Assert.Contains("config.script_config is required", ex.Message);
    }

    [Fact]
    public async Task Script_output_feeds_later_nodes_and_conditions()
    {
        var flow = Flow("f",
            [
                Script("count", "echo '{\"failures\": 2}'", """{"parse": "json"}"""),
                Node("bad", "End", """{"message": "failures: ${count.output.failures}"}"""),
                Node("good", "End", """{"message": "all green"}"""),
            ],
            Edge("start", "count"),
            Edge("count", "bad", "count.output.failures > 0"),
            Edge("count", "good"));
        var result = await Executor.ExecuteAsync(flow, Request(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("failures: 2", result.OutputText);
    }

    private static void AssertProcessGone(int pid)
    {
        // Killed orphans may linger as zombies until init reaps them; either way they no longer run.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return;
        string text;
        try { text = File.ReadAllText(stat); }
        catch (IOException) { return; }
        var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
        Assert.True(state is "Z" or "X", $"process {pid} is still alive (state {state})");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
            await Task.Delay(20, cts.Token);
    }
}

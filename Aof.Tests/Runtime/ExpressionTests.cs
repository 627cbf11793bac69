using System.Text.Json.Nodes;
using Aof.Runtime.Flows;
using Aof.Runtime.Flows.Expressions;
using static Aof.Tests.Runtime.RuntimeTestKit;

namespace Aof.Tests.Runtime;

public class ExpressionTests
{
    /// <summary>A context after two nodes ran: build (an object) and then check-status (a string).</summary>
    private static FlowContext Context()
    {
        var flow = Flow("f", [Node("build", "Transform"), Node("check-status", "Transform"), Node("never", "Transform")]);
        var context = new FlowContext(flow, Request(attempt: 2));
        context.RecordOutput("build", JsonNode.Parse("""{"status":"green","count":3,"items":["a","b"],"ok":true,"ratio":"2.5"}"""));
        context.RecordOutput("check-status", JsonValue.Create("running"));
        return context;
    }

    [Theory]
    [InlineData("${event.repo}", "\"myorg/myrepo\"")]
    [InlineData("${event.id}", null)] // checked separately: a ULID
    [InlineData("${event.platform}/${event.org}/${event.event_type}.${event.action}", "\"github/myorg/pull_request.opened\"")]
    [InlineData("${event.trigger_name} ${event.delivery_id} ${event.command} ${event.args} ${event.sender}", "\"pr-trigger d-1 /review fast please alice\"")]
    [InlineData("${event.attempt}", "2")]
    [InlineData("try ${event.attempt}", "\"try 2\"")]
    [InlineData("${event.payload.pull_request.number}", "42")]
    [InlineData("${event.payload.pull_request.labels[1].name}", "\"bug\"")]
    [InlineData("${event.payload.pull_request.draft}", "false")]
    [InlineData("${event.payload.pull_request.labels}", """[{"name":"ops"},{"name":"bug"}]""")]
    [InlineData("PR #${event.payload.number}: ${event.payload.pull_request.title}", "\"PR #42: Fix it\"")]
    [InlineData("${event.pull_request.title}", "\"Fix it\"")] // unknown envelope field falls back to the payload
    [InlineData("${event.payload.nothing.here}", "null")]
    [InlineData("[${event.payload.nothing}]", "\"[]\"")]
    [InlineData("${build.output}", """{"status":"green","count":3,"items":["a","b"],"ok":true,"ratio":"2.5"}""")]
    [InlineData("${build.output.items[1]}", "\"b\"")]
    [InlineData("${build.output.count}", "3")]
    [InlineData("n=${build.output.count} items=${build.output.items}", "\"n=3 items=[\\\"a\\\",\\\"b\\\"]\"")]
    [InlineData("${check-status.output}", "\"running\"")]
    [InlineData("${previous.output}", "\"running\"")]
    [InlineData("${never.output}", "null")]
    [InlineData("echo ${HOME} ${PATH:-/bin}", "\"echo ${HOME} ${PATH:-/bin}\"")] // shell syntax survives
    [InlineData("${unknown.output}", "\"${unknown.output}\"")]
    [InlineData("${build.output.items} é <b>", "\"[\\\"a\\\",\\\"b\\\"] é <b>\"")]
    [InlineData("cost $${event.repo}", "\"cost ${event.repo}\"")]
    [InlineData("open ${event.repo", "\"open ${event.repo\"")]
    [InlineData("plain text", "\"plain text\"")]
    public void Templates_render_references(string template, string? expectedJson)
    {
        var rendered = Context().Render(template);
        if (expectedJson is null)
        {
            Assert.Matches("^[0-9A-Z]{26}$", rendered!.GetValue<string>());
            return;
        }
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), rendered), $"got {rendered?.ToJsonString() ?? "null"}");
    }

    [Fact]
    public void An_exact_reference_is_a_copy_not_the_stored_node()
    {
        var context = Context();
        var copy = context.Render("${build.output}")!.AsObject();
        copy["status"] = "changed";
        Assert.Equal("green", context.Outputs["build"]!["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("event.action == 'opened'", true)]
    [InlineData("${event.action} == \"opened\"", true)]
    [InlineData("event.action != 'opened'", false)]
    [InlineData("event.payload.number == 42", true)]
    [InlineData("event.payload.number > 41 && event.payload.number < 43", true)]
    [InlineData("event.payload.number >= 42 && event.payload.number <= 42", true)]
    [InlineData("event.payload.number > 42", false)]
    [InlineData("event.payload.number < 42.5", true)]
    [InlineData("event.payload.number > -1", true)]
    [InlineData("build.output.ratio > 2", true)] // numeric string compares as a number
    [InlineData("build.output.count == '3'", true)]
    [InlineData("'b' > 'a'", true)]
    [InlineData("build.output.ok", true)]
    [InlineData("build.output.ok == true", true)]
    [InlineData("!build.output.ok", false)]
    [InlineData("!!build.output.ok", true)]
    [InlineData("event.payload.pull_request.draft", false)]
    [InlineData("event.payload.pull_request.draft == false", true)]
    [InlineData("event.payload.missing", false)]
    [InlineData("event.payload.missing == null", true)]
    [InlineData("event.payload.pull_request.labels", true)]
    [InlineData("event.payload.pull_request.labels[0].name == 'ops'", true)]
    [InlineData("build.output.status == 'red' || build.output.count == 3", true)]
    [InlineData("build.output.status == 'red' || build.output.count == 4", false)]
    [InlineData("build.output.status == 'green' && (build.output.count == 4 || event.repo == 'myorg/myrepo')", true)]
    [InlineData("!(build.output.status == 'green')", false)]
    [InlineData("check-status.output == 'running'", true)]
    [InlineData("previous.output == \"running\"", true)]
    [InlineData("'it\\'s' == \"it's\"", true)]
    [InlineData("0", false)]
    [InlineData("''", false)]
    [InlineData("'false'", false)]
    [InlineData("'yes'", true)]
    [InlineData("never.output", false)]
    public void Conditions_evaluate(string condition, bool expected)
    {
        Assert.Equal(expected, Condition.Parse(condition).IsTrue(Context()));
    }

    [Fact]
    public void A_bare_name_reads_the_previous_output()
    {
        var flow = Flow("f", [Node("assess", "Transform")]);
        var context = new FlowContext(flow, Request());
        context.RecordOutput("assess", JsonNode.Parse("""{"severity":"critical"}"""));
        Assert.True(Condition.Parse("severity == \"critical\"").IsTrue(context));
        Assert.False(Condition.Parse("severity != \"critical\"").IsTrue(context));
    }

    [Theory]
    [InlineData("", "empty condition")]
    [InlineData("a ==", "unexpected end")]
    [InlineData("== 'x'", "unexpected '=='")]
    [InlineData("(a == 'x'", "expected ')'")]
    [InlineData("a == 'x')", "unexpected ')'")]
    [InlineData("a = 'x'", "unexpected character '='")]
    [InlineData("a == 'x", "unterminated string")]
    [InlineData("${event.repo == 'x'", "unterminated '${'")]
    [InlineData("a == b == c", "cannot be chained")]
    [InlineData("a & b", "unexpected character '&'")]
    [InlineData("System.IO.File.Delete('x')", "unexpected '('")]
    [InlineData("a[x] == 1", "not a valid reference")]
    [InlineData("1.2.3 == 1", "bad number")]
    public void Syntax_errors_say_where(string condition, string expected)
    {
        var ex = Assert.Throws<ExpressionException>(() => Condition.Parse(condition));
        Assert.Contains("syntax error", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Theory]
    [InlineData("event.repo > 3")]
    [InlineData("event.payload.missing < 3")]
    [InlineData("build.output.ok >= true")]
    [InlineData("build.output.items > 1")]
    public void Ordering_values_that_have_no_order_is_an_error(string condition)
    {
        var ex = Assert.Throws<ExpressionException>(() => Condition.Parse(condition).IsTrue(Context()));
        Assert.Contains("cannot compare", ex.Message);
    }
}

using System.Text;
using System.Web;
using Aof.Gateway.Platforms.GitHub;
using Aof.Gateway.Webhooks;

namespace Aof.Tests.Gateway;

public class GitHubEventReaderTests
{
    private const string PushJson = """
        { "ref": "refs/heads/release/1.2", "before": "abc", "commits": [{"id":"1","message":"x"}],
          "repository": { "id": 1, "full_name": "octo/app", "owner": { "login": "octo", "type": "User" } },
          "sender": { "login": "alice" } }
        """;

    private const string PullRequestJson = """
        { "action": "opened", "number": 7,
          "pull_request": { "head": { "ref": "feature/x" }, "base": { "ref": "main", "sha": "def" }, "title": "t" },
          "repository": { "full_name": "acme/api", "owner": { "login": "acme" } },
          "organization": { "login": "acme-org" },
          "sender": { "login": "bob" } }
        """;

    private const string IssueCommentJson = """
        { "action": "created",
          "issue": { "number": 3, "pull_request": { "url": "https://x" } },
          "comment": { "id": 9, "body": "/review security \u00e9", "user": { "login": "carol" } },
          "repository": { "full_name": "acme/api", "owner": { "login": "acme" } },
          "sender": { "login": "carol" } }
        """;

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Push_ref_becomes_the_branch_and_owner_the_org()
    {
        var e = GitHubEventReader.Read("push", Utf8(PushJson));
        Assert.Equal("push", e.EventType);
        Assert.Null(e.Action);
        Assert.Equal("release/1.2", e.Branch);
        Assert.Equal("octo/app", e.Repository);
        Assert.Equal("octo", e.Org);
        Assert.Equal("alice", e.Sender);
        Assert.Null(e.CommentBody);
    }

    [Fact]
    public void Pushed_tag_is_not_a_branch()
    {
        var e = GitHubEventReader.Read("push", Utf8(PushJson.Replace("refs/heads/release/1.2", "refs/tags/v1.2")));
        Assert.Null(e.Branch);
    }

    [Fact]
    public void Pull_request_uses_base_ref_and_organization_over_owner()
    {
        var e = GitHubEventReader.Read("pull_request", Utf8(PullRequestJson));
        Assert.Equal("opened", e.Action);
        Assert.Equal("main", e.Branch);
        Assert.Equal("acme/api", e.Repository);
        Assert.Equal("acme-org", e.Org);
        Assert.Equal("bob", e.Sender);
    }

    [Fact]
    public void Issue_comment_carries_the_comment_body_and_no_branch()
    {
        var e = GitHubEventReader.Read("issue_comment", Utf8(IssueCommentJson));
        Assert.Equal("created", e.Action);
        Assert.Equal("/review security é", e.CommentBody);
        Assert.Null(e.Branch);
        Assert.Equal("acme", e.Org);
    }

    [Fact]
    public void Fields_of_unexpected_types_are_ignored_not_fatal()
    {
        var e = GitHubEventReader.Read("pull_request", Utf8("""{"action":null,"repository":"x","sender":{"login":5},"pull_request":[]}"""));
        Assert.Null(e.Action);
        Assert.Null(e.Repository);
        Assert.Null(e.Sender);
        Assert.Null(e.Branch);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"action\":\"opened\"")]
    [InlineData("{\"action\":\"opened\"} trailing")]
    [InlineData("")]
    public void Malformed_json_is_a_format_error(string body)
    {
        var ex = Assert.Throws<WebhookFormatException>(() => GitHubEventReader.Read("push", Utf8(body)));
        Assert.Contains("JSON", ex.Message);
    }

    [Fact]
    public void Form_body_payload_field_is_decoded_to_the_exact_json_bytes()
    {
        var form = Utf8("foo=bar&payload=" + HttpUtility.UrlEncode(PullRequestJson, Encoding.UTF8) + "&x=1");
        var json = GitHubEventReader.ExtractJson(form, "application/x-www-form-urlencoded; charset=utf-8");

        Assert.Equal(Utf8(PullRequestJson), json.ToArray());
        var e = GitHubEventReader.Read("pull_request", json.Span);
        Assert.Equal("main", e.Branch);
        Assert.Equal("acme/api", e.Repository);
    }

    [Fact]
    public void Form_body_with_comment_keeps_non_ascii_text()
    {
        var form = Utf8("payload=" + HttpUtility.UrlEncode(IssueCommentJson, Encoding.UTF8));
        var json = GitHubEventReader.ExtractJson(form, "application/x-www-form-urlencoded");
        Assert.Equal("/review security é", GitHubEventReader.Read("issue_comment", json.Span).CommentBody);
    }

    [Fact]
    public void Json_body_is_used_as_is()
    {
        var body = Utf8(PushJson);
        var json = GitHubEventReader.ExtractJson(body, "application/json");
        Assert.Equal(body, json.ToArray());
    }

    [Theory]
    [InlineData("foo=bar")]
    [InlineData("payload%3D=x")]
    public void Form_body_without_payload_is_a_format_error(string form)
    {
        Assert.Throws<WebhookFormatException>(() => GitHubEventReader.ExtractJson(Utf8(form), "application/x-www-form-urlencoded"));
    }

    [Fact]
    public void Form_body_with_broken_percent_escape_is_a_format_error()
    {
        Assert.Throws<WebhookFormatException>(() => GitHubEventReader.ExtractJson(Utf8("payload=%7B%2"), "application/x-www-form-urlencoded"));
    }

    [Fact]
    public void Ping_zen_is_read()
    {
        Assert.Equal("Keep it logically awesome.", GitHubEventReader.ReadZen(Utf8("""{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"zen":"no"}}""")));
    }
}

using System.Text;
using Aof.Core.Events;
using Aof.Runtime.Agents;
using Aof.Runtime.Fleets;
using Aof.Runtime.Replies;
using Aof.Runtime.Safety;

namespace Aof.Tests.Agents;

public sealed class PromptAndRedactionTests
{
    private static EventEnvelope GitHub(string payload, string eventType = "issue_comment", string? command = null, string? args = null) => new()
    {
        Id = Ulid.NewUlid(),
        Timestamp = DateTimeOffset.UtcNow,
        Platform = "github",
        Repo = "acme/api",
        EventType = eventType,
        Action = "created",
        TriggerName = "t",
        Target = new EventTarget(TargetKind.Agent, "a"),
        Payload = Encoding.UTF8.GetBytes(payload),
        Metadata = new EnvelopeMetadata { Command = command, Args = args, Sender = "bob" },
    };

    private const string IssueComment = """
        {"action":"created","repository":{"full_name":"acme/api"},
         "issue":{"number":7,"title":"Deploy fails","body":"Since Monday the deploy job is red.","html_url":"https://github.com/acme/api/pull/7","user":{"login":"carol"},"pull_request":{"url":"x"}},
         "comment":{"body":"/diagnose prod --verbose","user":{"login":"bob"}}}
        """;

    [Fact]
    public void GitHub_prompt_has_repository_number_title_body_url_comment_and_command_arguments()
    {
        var prompt = PromptBuilder.Build(GitHub(IssueComment, command: "/diagnose", args: "prod --verbose"));

        Assert.Contains("GitHub event: issue_comment (created)", prompt);
        Assert.Contains("Repository: acme/api", prompt);
        Assert.Contains("Pull request #7: Deploy fails", prompt); // an issue_comment on a PR says so
        Assert.Contains("URL: https://github.com/acme/api/pull/7", prompt);
        Assert.Contains("Since Monday the deploy job is red.", prompt);
        Assert.Contains("Comment by bob:\n/diagnose prod --verbose", prompt.ReplaceLineEndings("\n"));
        Assert.Contains("Command: /diagnose", prompt);
        Assert.Contains("Arguments: prod --verbose", prompt);
    }

    [Fact]
    public void Reply_target_of_an_issue_comment_is_the_issue_and_a_push_has_none()
    {
        Assert.Equal(new ReplyTarget("github", "acme/api", 7, null, null), ReplyTarget.From(GitHub(IssueComment)));
        Assert.Null(ReplyTarget.From(GitHub("""{"ref":"refs/heads/main","repository":{"full_name":"acme/api"}}""", "push")));
    }

    [Fact]
    public void Redactor_masks_secret_values_and_token_shapes()
    {
        var r = new SecretRedactor(["my-database-password-1"]);

        Assert.Equal("pw=[REDACTED] gh=[REDACTED] slack=[REDACTED] aws=[REDACTED] Authorization: Bearer [REDACTED] ok=short",
            r.Redact("pw=my-database-password-1 gh=ghp_0123456789abcdefghijABCDEFGHIJ slack=xoxb-1234-5678-abcdefgh aws=AKIAABCDEFGHIJKLMNOP Authorization: Bearer abc.def.ghi-123 ok=short"));
        Assert.True(SecretRedactor.IsSecretName("OPENAI_API_KEY"));
        Assert.True(SecretRedactor.IsSecretName("GITHUB_TOKEN"));
        Assert.False(SecretRedactor.IsSecretName("OLLAMA_HOST"));
    }

    [Theory]
    [InlineData("{\"decision\": \"Approve\", \"why\": \"fine\"}", "approve")]
    [InlineData("```json\n{\"verdict\":\"REJECT\"}\n```", "reject")]
    [InlineData("Approve.\nLooks fine to me", "approve")]
    public void Consensus_compares_decisions_not_whole_texts(string answer, string key) =>
        Assert.Equal(key, Consensus.KeyOf(answer));
}

using System.Text.Json.Nodes;

namespace Aof.Tests.Agents.Stubs;

/// <summary>Response bodies in the providers' and platforms' real wire formats.</summary>
public static class Wire
{
    private static int _ids;

    /// <summary>OpenAI chat completion whose message is a plain answer.</summary>
    public static JsonNode OpenAiText(string content) => OpenAiCompletion(new JsonObject { ["role"] = "assistant", ["content"] = content }, "stop");

    /// <summary>OpenAI chat completion asking for one tool call.</summary>
    public static JsonNode OpenAiToolCall(string name, JsonObject arguments, string? id = null) => OpenAiCompletion(new JsonObject
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["id"] = id ?? $"call_{Interlocked.Increment(ref _ids)}",
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments.ToJsonString() },
        }),
    }, "tool_calls");

    private static JsonObject OpenAiCompletion(JsonObject message, string finish) => new()
    {
        ["id"] = $"chatcmpl-{Interlocked.Increment(ref _ids)}",
        ["object"] = "chat.completion",
        ["created"] = 1767225600,
        ["model"] = "gpt-test",
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish, ["logprobs"] = null }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
    };

    /// <summary>Anthropic message with text or a tool_use block.</summary>
    public static JsonNode AnthropicText(string text) => AnthropicMessage(new JsonObject { ["type"] = "text", ["text"] = text }, "end_turn");

    public static JsonNode AnthropicToolUse(string name, JsonObject input) => AnthropicMessage(new JsonObject
    {
        ["type"] = "tool_use",
        ["id"] = $"toolu_{Interlocked.Increment(ref _ids)}",
        ["name"] = name,
        ["input"] = input,
    }, "tool_use");

    private static JsonObject AnthropicMessage(JsonObject block, string stop) => new()
    {
        ["id"] = $"msg_{Interlocked.Increment(ref _ids)}",
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = "claude-test",
        ["content"] = new JsonArray(block),
        ["stop_reason"] = stop,
        ["stop_sequence"] = null,
        ["usage"] = new JsonObject { ["input_tokens"] = 10, ["output_tokens"] = 5 },
    };

    /// <summary>GitHub REST issue comment (201 Created).</summary>
    public static JsonNode GitHubComment(string repo, int number, string body) => new JsonObject
    {
        ["id"] = 1001,
        ["node_id"] = "IC_kwDO",
        ["url"] = $"https://api.github.com/repos/{repo}/issues/comments/1001",
        ["html_url"] = $"https://github.com/{repo}/pull/{number}#issuecomment-1001",
        ["issue_url"] = $"https://api.github.com/repos/{repo}/issues/{number}",
        ["body"] = body,
        ["user"] = new JsonObject { ["login"] = "aof-bot", ["id"] = 7, ["type"] = "Bot" },
        ["created_at"] = "2026-01-15T10:31:00Z",
        ["updated_at"] = "2026-01-15T10:31:00Z",
        ["author_association"] = "NONE",
    };

    /// <summary>Slack Web API chat.postMessage success.</summary>
    public static JsonNode SlackPosted(string channel, string ts = "1767225600.000200") => new JsonObject
    {
        ["ok"] = true,
        ["channel"] = channel,
        ["ts"] = ts,
        ["message"] = new JsonObject { ["type"] = "message", ["text"] = "..." },
    };
}

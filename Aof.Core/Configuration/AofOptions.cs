using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Core.RateLimits;
using Microsoft.Extensions.Configuration;

namespace Aof.Core.Configuration;

/// <summary>
/// The daemon's settings, bound from the configuration section "Aof". The DaemonConfig YAML's <c>spec</c>
/// is mapped onto that section (snake_case keys become PascalCase: <c>queue.max_retries</c> ->
/// <c>Aof:Queue:MaxRetries</c>), and environment variables override it (<c>Aof__Queue__MaxRetries</c>).
/// </summary>
public sealed class AofOptions
{
    public const string Section = "Aof";

    /// <summary>standalone | gateway | worker.</summary>
    public string Mode { get; set; } = AofModes.Standalone;

    /// <summary>Root of the resource tree (agents/, flows/, triggers/...). Relative paths are resolved from the config file's folder.</summary>
    public string? ResourcesDirectory { get; set; }

    /// <summary>
    /// Every folder resources are loaded from (absolute when they come from a DaemonConfig file, which resolves
    /// AOF's <c>agents/fleets/flows/triggers.directory</c> and <c>resources_directory</c> against its own folder).
    /// </summary>
    public List<string> ResourceDirectories { get; set; } = [];

    /// <summary>
    /// The folders to load resources from: <c>Aof:ResourceDirectories</c> when set, else <c>Aof:ResourcesDirectory</c>,
    /// else none (an empty catalog).
    /// </summary>
    public static IReadOnlyList<string> ResourceDirectoriesFrom(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var list = section.GetSection(nameof(ResourceDirectories)).GetChildren()
            .Select(c => c.Value)
            .OfType<string>()
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .ToList();
        if (list.Count > 0)
        {
            return list;
        }

        return section[nameof(ResourcesDirectory)] is { Length: > 0 } single ? [single] : [];
    }

    public QueueOptions Queue { get; set; } = new();
    public GatewayOptions Gateway { get; set; } = new();
    public WorkerOptions Worker { get; set; } = new();
    public RuntimeOptions Runtime { get; set; } = new();
    public ExecutionOptions Executions { get; set; } = new();
}

public static class AofModes
{
    public const string Standalone = "standalone";
    public const string Gateway = "gateway";
    public const string Worker = "worker";

    public static bool IsValid(string? mode) => mode is Standalone or Gateway or Worker;
}

public sealed class GatewayOptions
{
    /// <summary>How long the gateway waits for the broker to confirm a publish before answering 503.</summary>
    public int AckTimeoutMs { get; set; } = 2000;

    /// <summary>Largest accepted body; GitHub's own maximum is 25 MiB.</summary>
    public long MaxBodyBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>Retry-After sent with 503.</summary>
    public int RetryAfterSecs { get; set; } = 5;
}

public sealed class WorkerOptions
{
    /// <summary>Executions running at once in one worker process.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>Messages leased ahead of execution (buffer); released at once on drain.</summary>
    public int Prefetch { get; set; } = 16;

    /// <summary>On SIGTERM: how long in-flight executions may take to finish.</summary>
    public int DrainTimeoutSecs { get; set; } = 30;

    /// <summary>
    /// For a message on its first delivery as published (NATS), how long its execution runs before its record says
    /// running: one that ends sooner gets its record written once, with the outcome, instead of twice. 0 writes the
    /// running record at the start. Other deliveries (and Redis) always write it at the start.
    /// </summary>
    public int RunningRecordDelayMs { get; set; } = 200;

    /// <summary>Consumer name; defaults to host name + process id.</summary>
    public string? Name { get; set; }
}

public sealed class RuntimeOptions
{
    /// <summary>Per-execution timeout (AOF: runtime.task_timeout_secs).</summary>
    public int TaskTimeoutSecs { get; set; } = 300;

    /// <summary>
    /// How often a flow waiting for approval is checked for a decision (its message is deferred by this long, no
    /// worker held in between): an approve or reject takes effect within this time.
    /// </summary>
    public int ApprovalPollMs { get; set; } = 5000;

    /// <summary>Tenant rate limits (<c>runtime.rate_limits</c>), checked by <see cref="RateLimitConfiguration"/> at startup.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();
}

namespace Aof.AppHost.Hosting.ApplicationModel;

/// <summary>
/// A value supplied at deployment time (Aspire's <c>parameter.v0</c>): a password, a webhook secret, a token.
/// Publishers never write its value: the manifest asks azd for it (or has azd generate it), Kubernetes gets a
/// Secret template, Helm a value. A local run uses <see cref="LocalValue"/>; null leaves the variable unset.
/// </summary>
public sealed class ParameterResource(string name, bool secret) : Resource(name)
{
    public bool Secret { get; } = secret;

    /// <summary>When set, deployment tools generate a random value of at least this length instead of asking.</summary>
    public int? GenerateMinLength { get; set; }

    public string? LocalValue { get; set; }

    /// <summary>
    /// A deployment may leave it empty (the service then goes without the feature it serves): the manifest gives azd an
    /// empty default instead of asking, Kubernetes starts the pod without the Secret's key.
    /// </summary>
    public bool Optional { get; set; }

    public override TimeSpan StartTimeout => TimeSpan.Zero;

    public override TimeSpan StopTimeout => TimeSpan.Zero;

    /// <summary>A parameter is a value, not a process: the orchestrator never starts it.</summary>
    public override ProcessSpec Describe(RunContext context, int replica) =>
        throw new InvalidOperationException($"parameter '{Name}' is a value, not something to run");

    public override Task<bool> IsHealthyAsync(int replica, CancellationToken ct) => Task.FromResult(true);
}

using Aof.Tests.Gateway;

namespace Aof.Tests.Platforms;

/// <summary>One gateway (in-memory queue, gateway mode) with a trigger for every platform, shared by a test class.</summary>
public sealed class PlatformAppFixture : IDisposable
{
    public GatewayApp App { get; } = new(PlatformSenders.Triggers);

    public HttpClient Client => field ??= App.CreateClient();

    public void Dispose() => App.Dispose();
}

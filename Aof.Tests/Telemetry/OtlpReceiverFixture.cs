using Aof.AppHost.Telemetry.Receiver;
using Aof.AppHost.Telemetry.Store;

namespace Aof.Tests.Telemetry;

/// <summary>A receiver on free loopback ports with its own store; each test uses its own service names.</summary>
public sealed class OtlpReceiverFixture : IAsyncLifetime
{
    private OtlpReceiver? _receiver;

    public OtlpReceiver Receiver => _receiver ?? throw new InvalidOperationException("not started");

    public TelemetryStore Store => Receiver.Store;

    public List<string> Log { get; } = [];

    public async Task InitializeAsync() =>
        _receiver = await OtlpReceiver.StartAsync(new TelemetryStore(), new OtlpReceiverOptions { GrpcPort = 0, HttpPort = 0 },
            line => { lock (Log) Log.Add(line); });

    public async Task DisposeAsync()
    {
        if (_receiver is not null) await _receiver.DisposeAsync();
    }
}

using System.Net;
using System.Net.Sockets;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Telemetry;

namespace Aof.Tests.AppHost;

/// <summary>The AppHost's receiver ports and the OTEL_* variables each service replica gets.</summary>
public sealed class AppHostTelemetryTests : IDisposable
{
    private readonly AppHostResources _resources = new();

    public void Dispose() => _resources.Dispose();

    [Fact]
    public async Task Each_replica_is_pointed_at_the_receiver_and_named_with_its_instance()
    {
        await using var telemetry = new AppHostTelemetry();
        await telemetry.StartAsync(Options("--otlp-grpc-port", "0", "--otlp-http-port", "0"), new AppHostConsole(TextWriter.Null), CancellationToken.None);
        var worker = Worker();
        worker.Environment["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment=dev";

        var env = worker.Describe(Context(worker, telemetry.ServiceEnvironment(_ => null)), 1).Environment;

        Assert.Equal(telemetry.Receiver!.GrpcEndpoint.ToString().TrimEnd('/'), env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal("grpc", env["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        Assert.Equal("worker", env["OTEL_SERVICE_NAME"]);
        Assert.Equal("service.instance.id=worker-1,deployment.environment=dev", env["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal("1000", env["OTEL_BSP_SCHEDULE_DELAY"]);
        Assert.Equal("redis:6379", env["ConnectionStrings__redis"]);
    }

    [Fact]
    public async Task An_otlp_endpoint_set_in_the_apphosts_environment_wins()
    {
        await using var telemetry = new AppHostTelemetry();
        await telemetry.StartAsync(Options("--otlp-grpc-port", "0", "--otlp-http-port", "0"), new AppHostConsole(TextWriter.Null), CancellationToken.None);
        var user = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317", ["OTEL_METRIC_EXPORT_INTERVAL"] = "30000" };

        var worker = Worker();
        var env = worker.Describe(Context(worker, telemetry.ServiceEnvironment(user.GetValueOrDefault)), 0).Environment;

        // Not injected: the child inherits the user's values from the AppHost's environment.
        Assert.False(env.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.False(env.ContainsKey("OTEL_EXPORTER_OTLP_PROTOCOL"));
        Assert.False(env.ContainsKey("OTEL_METRIC_EXPORT_INTERVAL"));
        Assert.Equal("1000", env["OTEL_BSP_SCHEDULE_DELAY"]);
    }

    [Fact]
    public async Task A_receiver_port_the_user_gave_that_is_in_use_is_an_error_naming_otlp_and_the_port()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var telemetry = new AppHostTelemetry();

        var error = await Assert.ThrowsAsync<StartupFailedException>(() =>
            telemetry.StartAsync(Options("--otlp-grpc-port", port.ToString(), "--otlp-http-port", "0"), new AppHostConsole(TextWriter.Null), CancellationToken.None));

        Assert.Equal("otlp", error.Resource);
        Assert.Contains(port.ToString(), error.Message);
    }

    private AppHostOptions Options(params string[] args) => AppHostOptions.Parse(_resources.Args(args));

    private static ProjectResource Worker()
    {
        var worker = new ProjectResource("worker", "/x/Aof.Worker.csproj") { Replicas = 2, IsReplicated = true };
        PortAllocator.Allocate([worker]);
        worker.References.Add(new FixedConnection("redis", "redis:6379"));
        return worker;
    }

    private static RunContext Context(ProjectResource project, IReadOnlyDictionary<string, string> serviceEnvironment) =>
        new("/tmp/state", "dotnet", new Dictionary<ProjectResource, string> { [project] = "/x/Aof.Worker.dll" }, serviceEnvironment);

    private sealed record FixedConnection(string Name, string ConnectionString) : IResourceWithConnectionString;
}

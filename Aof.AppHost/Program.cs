using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Orchestration;

// The app model of AOF, in the shape of a .NET Aspire AppHost: a broker, the gateway and a pool of workers.
// `dotnet run --project Aof.AppHost -- --queue nats --workers 4 --examples ./my-resources`
var builder = DistributedApplication.CreateBuilder(args);
var options = builder.Options;

var redis = builder.AddRedis("redis");                // redis-server, AOF persistence, data under the state folder
var nats = builder.AddNats("nats").WithJetStream();   // nats-server -js, file store; started only when used
IResourceBuilder<BrokerResource> queue = options.Queue == "nats" ? nats : redis;

// Every service reads the same DaemonConfig; the webhook secret of examples/ comes from the environment.
var secret = Environment.GetEnvironmentVariable("GITHUB_WEBHOOK_SECRET") ?? "aof-dev-secret";
if (Environment.GetEnvironmentVariable("GITHUB_WEBHOOK_SECRET") is null)
    builder.Console.Log($"GITHUB_WEBHOOK_SECRET is not set; the services use the development secret '{secret}'");

if (queue.Resource.IsInstalled)
{
    var gateway = builder.AddProject("gateway", "../Aof.Gateway/Aof.Gateway.csproj")
        .WithArgs("--mode", "gateway", "--config", options.DaemonConfig)
        .WithHttpEndpoint(port: options.GatewayPort)
        .WithEnvironment("GITHUB_WEBHOOK_SECRET", secret)
        .WithEnvironment("Aof__Queue__Type", queue.Resource.QueueType)
        .WithReference(queue)
        .WaitFor(queue);

    builder.AddProject("worker", "../Aof.Worker/Aof.Worker.csproj")
        .WithArgs("--mode", "worker", "--config", options.DaemonConfig)
        .WithReplicas(options.Workers)
        .WithEnvironment("GITHUB_WEBHOOK_SECRET", secret)
        .WithEnvironment("Aof__Queue__Type", queue.Resource.QueueType)
        .WithReference(queue)
        .WaitFor(queue)
        .WaitFor(gateway); // the gateway reports a bad resource tree once; the workers load the same tree
}
else
{
    // No broker on this machine: the embedded topology, one gateway with an in-process worker and an in-memory queue.
    builder.Console.Log(queue.Resource.InstallHint);
    builder.Console.Log("running the embedded topology instead: the gateway in standalone mode with the in-memory queue");
    builder.AddProject("gateway", "../Aof.Gateway/Aof.Gateway.csproj")
        .WithArgs("--mode", "standalone", "--config", options.DaemonConfig)
        .WithHttpEndpoint(port: options.GatewayPort)
        .WithEnvironment("GITHUB_WEBHOOK_SECRET", secret)
        .WithEnvironment("Aof__Queue__Type", "memory");
}

await builder.Build().RunAsync();

using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Orchestration;
using Aof.AppHost.ResourceTree;

// The app model of AOF, in the shape of a .NET Aspire AppHost: a broker, the gateway and a pool of workers.
// `dotnet run --project Aof.AppHost -- --queue nats --workers 4 --examples ./my-resources` runs it here;
// `... -- --publisher manifest|kubernetes|helm --output-path <p>` writes the same model as deployment files.
var builder = DistributedApplication.CreateBuilder(args);
var options = builder.Options;

var redis = builder.AddRedis("redis")                 // redis-server, AOF persistence, data under the state folder
    .WithComputeResources("250m", "512Mi", "1", "2Gi");
var nats = builder.AddNats("nats").WithJetStream()    // nats-server -js, file store; started only when used
    .WithComputeResources("250m", "512Mi", "1", "2Gi");
if (options.ExternalBrokers)
{
    redis.PublishAsExisting();
    nats.PublishAsExisting();
}
IResourceBuilder<BrokerResource> queue = options.Queue == "nats" ? nats : redis;

// Every service reads the same DaemonConfig; the webhook secret of examples/ comes from the environment.
var localSecret = Environment.GetEnvironmentVariable("GITHUB_WEBHOOK_SECRET") ?? "aof-dev-secret";
if (!builder.IsPublishMode && Environment.GetEnvironmentVariable("GITHUB_WEBHOOK_SECRET") is null)
    builder.Console.Log($"GITHUB_WEBHOOK_SECRET is not set; the services use the development secret '{localSecret}'");
// Deployed, both are secrets: the webhook secret is asked for (GitHub must be given the same), the admin token generated.
var webhookSecret = builder.AddParameter("github-webhook-secret", secret: true, localValue: localSecret);
var adminToken = builder.AddParameter("admin-token", secret: true).WithGeneratedValue(32);

if (queue.Resource.IsInstalled || builder.IsPublishMode)
{
    var gateway = builder.AddProject("gateway", "../Aof.Gateway/Aof.Gateway.csproj")
        .WithArgs("--mode", "gateway", "--config", options.DaemonConfig)
        .WithHttpEndpoint(port: options.GatewayPort)
        .WithExternalHttpEndpoints()
        .WithEnvironment("GITHUB_WEBHOOK_SECRET", webhookSecret)
        .WithEnvironment("AOF_ADMIN_TOKEN", adminToken)
        .WithEnvironment("Aof__Queue__Type", queue.Resource.QueueType)
        .WithReference(queue)
        .WaitFor(queue)
        .WithComputeResources("250m", "256Mi", "1", "512Mi")
        .WithAutoscaling(minReplicas: 2, maxReplicas: 10, cpuUtilization: 70);

    var worker = builder.AddProject("worker", "../Aof.Worker/Aof.Worker.csproj")
        .WithArgs("--mode", "worker", "--config", options.DaemonConfig)
        .WithHttpEndpoint()
        .WithReplicas(options.Workers)
        .WithEnvironment("GITHUB_WEBHOOK_SECRET", webhookSecret)
        .WithEnvironment("Aof__Queue__Type", queue.Resource.QueueType)
        .WithReference(queue)
        .WaitFor(queue)
        .WaitFor(gateway) // the gateway reports a bad resource tree once; the workers load the same tree
        .WithComputeResources("250m", "256Mi", "1", "1Gi")
        // KEDA adds workers while messages wait: one more replica per 50 messages of lag in a lane.
        .WithAutoscaling(minReplicas: options.Workers, maxReplicas: Math.Max(10, options.Workers), lagTarget: 50);

    // The secrets the resource tree makes the services read (provider API keys, reply tokens, ${VAR} references,
    // platforms' *_env): each a secret parameter of the services that read it, so a deployment asks for them instead
    // of starting services without them. Locally each takes the AppHost's own environment.
    foreach (var secret in SecretVariables.Find(options.DaemonConfig))
    {
        var readers = new[] { (SecretReaders.Gateway, gateway), (SecretReaders.Worker, worker) }
            .Where(r => secret.ReadBy.HasFlag(r.Item1) && !r.Item2.Resource.ParameterEnvironment.ContainsKey(secret.Name))
            .Select(r => r.Item2)
            .ToList();
        if (readers.Count == 0) continue; // already given (GITHUB_WEBHOOK_SECRET)
        // A name the model already has (a ${REDIS_PASSWORD} of the tree is not the broker's password) gets a suffix.
        var name = builder.Resources.Any(r => r.Name == secret.ParameterName) ? secret.ParameterName + "-env" : secret.ParameterName;
        var parameter = builder.AddParameter(name, secret: true, localValue: Environment.GetEnvironmentVariable(secret.Name));
        if (!secret.Required) parameter.AsOptional();
        foreach (var project in readers) project.WithEnvironment(secret.Name, parameter);
    }
}
else
{
    // No broker on this machine: the embedded topology, one gateway with an in-process worker and an in-memory queue.
    builder.Console.Log(queue.Resource.InstallHint);
    builder.Console.Log("running the embedded topology instead: the gateway in standalone mode with the in-memory queue");
    builder.AddProject("gateway", "../Aof.Gateway/Aof.Gateway.csproj")
        .WithArgs("--mode", "standalone", "--config", options.DaemonConfig)
        .WithHttpEndpoint(port: options.GatewayPort)
        .WithEnvironment("GITHUB_WEBHOOK_SECRET", webhookSecret)
        .WithEnvironment("Aof__Queue__Type", "memory");
}

await builder.Build().RunAsync();

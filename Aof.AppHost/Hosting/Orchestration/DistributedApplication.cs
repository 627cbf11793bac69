using System.Runtime.InteropServices;
using Aof.AppHost.Dashboard;
using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Builder;
using Aof.AppHost.Hosting.Processes;
using Aof.AppHost.Telemetry;
using Aof.AppHost.Publishing;

namespace Aof.AppHost.Hosting.Orchestration;

/// <summary>
/// The running app. <see cref="RunAsync"/>: allocate ports, build the projects, start every used resource once
/// what it waits for is healthy, report where things are, and on Ctrl+C / SIGTERM stop them in reverse order
/// (workers drain first, brokers last). A resource that cannot start stops the whole app with a non-zero exit.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly IReadOnlyList<Resource> _resources;
    private readonly AppHostOptions _options;
    private readonly AppHostConsole _console;
    private readonly bool _isTesting;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ReplicaSupervisor> _supervisors = [];
    private Task<int>? _run;
    private DashboardServer? _dashboard;

    internal DistributedApplication(IReadOnlyList<Resource> resources, AppHostOptions options, AppHostConsole console,
        AppHostTelemetry telemetry, bool isTesting)
    {
        Telemetry = telemetry;
        _resources = resources;
        _options = options;
        _console = console;
        _isTesting = isTesting;
        Resources = UsedResources();
        // From the first line on, so the dashboard's console shows the start too.
        console.LineWritten += Logs.Add;
    }

    /// <summary>The resources this app runs, in model (dependency) order.</summary>
    public IReadOnlyList<Resource> Resources { get; }

    /// <summary>Recent console lines per resource (the dashboard's Console page).</summary>
    public ConsoleLogStore Logs { get; } = new();

    /// <summary>The dashboard's address once it listens (the real port when 0 was asked); null without a dashboard.</summary>
    public Uri? DashboardUrl => _dashboard?.Url;

    /// <summary>The dashboard's login token when it requires one (bound beyond loopback), else null.</summary>
    public string? DashboardToken => _dashboard?.Token;

    /// <summary>The options the app runs with.</summary>
    public AppHostOptions Options => _options;

    /// <summary>Completed once every resource was healthy at start; commands wait for that.</summary>
    public bool IsStarted => _started.Task.IsCompletedSuccessfully;

    /// <summary>Stops, starts or restarts one replica (the dashboard's commands).</summary>
    /// <exception cref="KeyNotFoundException">No replica has that name.</exception>
    /// <exception cref="CommandRefusedException">The app has not finished starting, or is stopping.</exception>
    public async Task ExecuteAsync(string replica, ResourceCommand command)
    {
        var supervisor = GetReplica(replica);
        // Before the start completed, a stopped dependency would fail the start itself; during shutdown, a start would leak.
        if (!IsStarted) throw new CommandRefusedException("the app is still starting; commands are available once every resource is healthy");
        if (_stop.IsCancellationRequested) throw new CommandRefusedException("the app is stopping");
        _console.Log($"{command.ToString().ToLowerInvariant()} {replica} (dashboard command)");
        switch (command)
        {
            case ResourceCommand.Stop:
                await supervisor.StopAsync();
                break;
            case ResourceCommand.Start:
                supervisor.Start();
                break;
            case ResourceCommand.Restart:
                await supervisor.RestartAsync();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(command), command, null);
        }
    }

    /// <summary>The Aspire entry point of an AppHost's Program.cs.</summary>
    public static DistributedApplicationBuilder CreateBuilder(string[] args) => DistributedApplicationBuilder.Create(args);

    /// <summary>The services' traces, metrics and logs, as the AppHost's OTLP receiver got them.</summary>
    public AppHostTelemetry Telemetry { get; }

    /// <summary>Completes when every resource is healthy; faults with the <see cref="StartupFailedException"/> that stopped the app.</summary>
    public Task Started => _started.Task;

    /// <summary>The exit code once the app has stopped (0: stopped on request, 1: a resource failed to start).</summary>
    public Task<int> Completion => _run ?? throw new InvalidOperationException("the app is not running");

    public IReadOnlyList<ReplicaSupervisor> Replicas
    {
        get { lock (_supervisors) return [.. _supervisors]; }
    }

    public ReplicaSupervisor GetReplica(string name) =>
        Replicas.FirstOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"no replica named {name}");

    /// <summary>The http address of a project resource's first replica.</summary>
    public Uri GetEndpoint(string resource) =>
        _resources.OfType<ProjectResource>().First(r => r.Name == resource).Url();

    /// <summary>Runs until stopped; in a real AppHost, sets the process exit code.</summary>
    public async Task RunAsync(CancellationToken ct = default)
    {
        using var registration = ct.Register(() => _stop.Cancel());
        _run ??= RunCoreAsync();
        var code = await _run;
        if (!_isTesting) Environment.ExitCode = code;
    }

    /// <summary>Stops everything in order and waits for it.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null) await _run;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task<int> RunCoreAsync()
    {
        if (_options.ShowHelp)
        {
            _console.Log(AppHostOptions.Usage);
            return 0;
        }
        if (_options.Publisher is { } publisher) return Publish(publisher);
        using var signals = _isTesting ? null : new ShutdownSignals(_stop, KillAll, _console);
        var used = Resources.ToList();
        try
        {
            if (_options.DashboardUrl is { } dashboardUrl)
            {
                _dashboard = await DashboardServer.StartAsync(this, Telemetry.Store, dashboardUrl, _options.DashboardToken, _console, _stop.Token);
                _console.Log($"dashboard: {_dashboard.LoginUrl}");
            }
            foreach (var broker in used.OfType<BrokerResource>().Where(b => !b.IsInstalled))
                throw new StartupFailedException(broker.Name, broker.InstallHint, []);
            PortAllocator.Allocate(used);
            var dotnet = ExecutableLocator.Dotnet();
            await Telemetry.StartAsync(_options, _console, _stop.Token);
            var dlls = await ProjectBuilder.ResolveAsync(used.OfType<ProjectResource>().ToList(), _options.ServicesDirectory, dotnet, _console, _stop.Token);
            Directory.CreateDirectory(_options.StateDirectory);
            var context = new RunContext(_options.StateDirectory, dotnet, dlls, Telemetry.ServiceEnvironment());

            var healthy = new Dictionary<Resource, Task>();
            foreach (var resource in used) healthy[resource] = StartWhenReadyAsync(resource, healthy, context);
            await WhenAllOrFirstFailure(healthy.Values).WaitAsync(_stop.Token);
            PrintSummary(used);
            _started.TrySetResult();
            await Task.Delay(Timeout.Infinite, _stop.Token);
            return 0;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            _started.TrySetCanceled();
            return 0;
        }
        catch (StartupFailedException failure)
        {
            Report(failure);
            _started.TrySetException(failure);
            return 1;
        }
        finally
        {
            await StopAllAsync(used);
            if (_dashboard is not null) await _dashboard.DisposeAsync();
            await Telemetry.DisposeAsync(); // last: the services' final exports arrive while they stop
        }
    }

    /// <summary>Writes the model as deployment files (<c>--publisher</c>) and starts nothing: 0 when written, 1 when not.</summary>
    private int Publish(string name)
    {
        var output = _options.OutputPath!;
        try
        {
            var publisher = Publishers.Create(name);
            var files = publisher.Generate(DeploymentModel.From(_options, _resources, name));
            if (publisher.WritesSingleFile) OutputWriter.WriteFile(output, files.Single().Value, publisher.IsOwnOutput);
            else OutputWriter.WriteFolder(output, files);
            _console.Log($"{name}: wrote {(publisher.WritesSingleFile ? output : $"{files.Count} files to {output}")}");
            _started.TrySetResult();
            return 0;
        }
        catch (PublishingException ex)
        {
            _console.Log($"error: {ex.Message}");
            _started.TrySetException(ex);
            return 1;
        }
    }

    /// <summary>Projects and what they reference or wait for: a broker nobody uses is not started.</summary>
    private List<Resource> UsedResources()
    {
        var used = new HashSet<Resource>();
        void Visit(Resource r)
        {
            if (!used.Add(r)) return;
            foreach (var dependency in r.WaitsFor.Concat(r.References.Cast<Resource>())) Visit(dependency);
        }
        foreach (var project in _resources.OfType<ProjectResource>()) Visit(project);
        // Model order, which is dependency order in Program.cs; stopping walks it backwards.
        return _resources.Where(used.Contains).Where(r => r.Replicas > 0 || r is not ProjectResource).ToList();
    }

    private async Task StartWhenReadyAsync(Resource resource, IReadOnlyDictionary<Resource, Task> healthy, RunContext context)
    {
        // Runs synchronously up to its first wait: resources come in model order, so what it waits for is in `healthy`.
        foreach (var dependency in resource.WaitsFor)
        {
            // A dependency that fails fails this one with the dependency's own error: that is the one to report.
            if (healthy.TryGetValue(dependency, out var ready)) await ready.WaitAsync(_stop.Token);
        }
        _console.Log(resource.WaitsFor.Count == 0
            ? $"starting {resource.Name}"
            : $"starting {resource.Name} ({string.Join(", ", resource.WaitsFor.Select(d => d.Name))} healthy)");
        var replicas = Enumerable.Range(0, resource.Replicas).Select(i => new ReplicaSupervisor(resource, i, context, _console)).ToList();
        lock (_supervisors) _supervisors.AddRange(replicas);
        foreach (var replica in replicas) replica.Start();
        await Task.WhenAll(replicas.Select(r => r.Healthy));
    }

    /// <summary>Completes when all complete, or with the first failure at once (not after the slowest start).</summary>
    private static async Task WhenAllOrFirstFailure(IEnumerable<Task> tasks)
    {
        var all = tasks.ToList();
        var pending = new List<Task>(all);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            await done; // throws the failure
            pending.Remove(done);
        }
    }

    private async Task StopAllAsync(List<Resource> used)
    {
        var replicas = Replicas;
        if (replicas.Count == 0) return;
        _console.Log("stopping: " + string.Join(", ", used.AsEnumerable().Reverse().Select(r => r.Name)));
        // Dependents first: the workers drain while the gateway and the broker are still there.
        foreach (var resource in used.AsEnumerable().Reverse())
            await Task.WhenAll(replicas.Where(r => r.Resource == resource).Select(r => r.StopAsync()));
        _console.Log("stopped");
    }

    private void KillAll()
    {
        foreach (var replica in Replicas) replica.Kill();
    }

    private void Report(StartupFailedException failure)
    {
        _console.Log($"error: {failure.Message}");
        if (failure.Log.Count > 0)
        {
            _console.Log($"last lines of {failure.Resource}:");
            foreach (var line in failure.Log) _console.Log("    " + line);
        }
        _console.Log("dependents were not started; stopping what runs");
    }

    private void PrintSummary(List<Resource> used)
    {
        foreach (var broker in used.OfType<BrokerResource>())
            _console.Log($"{broker.Name,-9} {broker.ConnectionString}  (data: {Path.Combine(_options.StateDirectory, broker.Name)})");
        foreach (var project in used.OfType<ProjectResource>())
        {
            for (var i = 0; i < project.Replicas; i++)
                _console.Log($"{project.ReplicaName(i),-9} {project.Url(i)}  (health: {new Uri(project.Url(i), "/health")})");
        }
        if (used.OfType<ProjectResource>().FirstOrDefault(p => p.Name == "gateway") is { } gateway)
        {
            var url = gateway.Url().ToString().TrimEnd('/');
            _console.Log($"ready. webhooks: {url}/webhook/github   admin API: {url}/api/executions/{{id}}, {url}/api/dlq");
        }
        _console.Log(Telemetry.Describe());
        if (_dashboard is not null) _console.Log($"dashboard: {_dashboard.LoginUrl}");
        _console.Log("press Ctrl+C to stop");
    }

    /// <summary>SIGINT / SIGTERM: stop in order; a second one kills at once.</summary>
    private sealed class ShutdownSignals : IDisposable
    {
        private readonly PosixSignalRegistration[] _registrations;
        private int _count;

        public ShutdownSignals(CancellationTokenSource stop, Action killAll, AppHostConsole console)
        {
            void Handle(PosixSignalContext context)
            {
                context.Cancel = true; // we exit once everything is stopped
                if (Interlocked.Increment(ref _count) == 1)
                {
                    console.Log($"{context.Signal}: stopping (again to kill at once)");
                    stop.Cancel();
                }
                else
                {
                    console.Log($"{context.Signal} again: killing everything");
                    killAll();
                }
            }
            _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
        }

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
        }
    }
}

using Aof.AppHost.Hosting.ApplicationModel;
using Aof.AppHost.Hosting.Processes;

namespace Aof.AppHost.Hosting.Orchestration;

public enum ReplicaState
{
    NotStarted,
    Starting,
    Running,
    Restarting,
    Stopping,
    Stopped,
    Failed,
}

/// <summary>
/// Keeps one replica running: starts it, waits until it is healthy, and when it exits on its own reports the exit
/// code and restarts it with exponential backoff (1 s doubling to 30 s; back to 1 s after 30 s of healthy running).
/// A first start that exits or stays unhealthy is a start failure, not a crash: it is reported with its last lines.
/// </summary>
public sealed class ReplicaSupervisor(Resource resource, int replica, RunContext context, AppHostConsole console)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly TaskCompletionSource _healthy = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private ChildProcess? _current;
    private Task _loop = Task.CompletedTask;

    public Resource Resource { get; } = resource;

    public int Replica { get; } = replica;

    public string Name => Resource.ReplicaName(Replica);

    public ReplicaState State { get; private set; }

    /// <summary>The pid of the running process; null between runs.</summary>
    public int? ProcessId => _current is { HasExited: false } p ? p.Id : null;

    public int Restarts { get; private set; }

    public int? LastExitCode { get; private set; }

    /// <summary>Completes when the replica first becomes healthy; faults with a <see cref="StartupFailedException"/>.</summary>
    public Task Healthy => _healthy.Task;

    public void Start() => _loop = Task.Run(SuperviseAsync);

    private async Task SuperviseAsync()
    {
        var backoff = FirstBackoff;
        var first = true;
        while (!_stopping.IsCancellationRequested)
        {
            State = first ? ReplicaState.Starting : ReplicaState.Restarting;
            ChildProcess process;
            try
            {
                process = await ChildProcess.StartAsync(Name, Resource.Describe(context, Replica), console);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (first)
                {
                    Fail(new StartupFailedException(Name, ex.Message, []));
                    return;
                }
                console.Log($"{Name} could not be restarted: {ex.Message}");
                if (!await BackOffAsync(backoff)) return;
                backoff = Next(backoff);
                continue;
            }
            var previous = _current;
            _current = process;
            previous?.Dispose();
            console.Log($"{Name} started (pid {process.Id})");

            var healthy = await WaitHealthyAsync(process);
            if (_stopping.IsCancellationRequested) return;
            if (!healthy && first)
            {
                var reason = process.HasExited
                    ? $"it exited at start ({ChildProcess.DescribeExit(await process.Exited)})"
                    : $"it was not healthy within {Resource.StartTimeout.TotalSeconds:0} s";
                process.Kill();
                Fail(new StartupFailedException(Name, reason, process.Tail));
                return;
            }
            var upSince = DateTime.UtcNow;
            if (healthy)
            {
                State = ReplicaState.Running;
                console.Log(first ? $"{Name} is healthy" : $"{Name} is healthy again (restart {Restarts})");
                _healthy.TrySetResult();
            }
            first = false;

            int exit;
            try
            {
                exit = await process.Exited.WaitAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            LastExitCode = exit;
            if (DateTime.UtcNow - upSince >= StableAfter) backoff = FirstBackoff;
            State = ReplicaState.Restarting;
            console.Log($"{Name} crashed: {ChildProcess.DescribeExit(exit)}; restarting in {backoff.TotalSeconds:0} s");
            if (!await BackOffAsync(backoff)) return;
            backoff = Next(backoff);
            Restarts++;
        }
    }

    private static TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));

    /// <summary>Waits <paramref name="delay"/>; false when the app is stopping.</summary>
    private async Task<bool> BackOffAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stopping.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>True once the probe passes; false when the process exits or the start timeout passes first.</summary>
    private async Task<bool> WaitHealthyAsync(ChildProcess process)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(Resource.StartTimeout);
        try
        {
            while (!process.HasExited)
            {
                if (await Resource.IsHealthyAsync(Replica, timeout.Token)) return true;
                await Task.Delay(ProbeInterval, timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        return false;
    }

    private void Fail(StartupFailedException error)
    {
        State = ReplicaState.Failed;
        _healthy.TrySetException(error);
    }

    /// <summary>Ends supervision, then SIGTERM and, after the resource's stop timeout, SIGKILL.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        _healthy.TrySetCanceled();
        if (_current is { } process)
        {
            if (!process.HasExited)
            {
                State = ReplicaState.Stopping;
                await process.StopAsync(Resource.StopTimeout);
                console.Log($"{Name} stopped ({ChildProcess.DescribeExit(await process.Exited)})");
            }
            process.Dispose();
        }
        State = ReplicaState.Stopped;
    }

    /// <summary>Kills the process at once (a second Ctrl+C).</summary>
    public void Kill() => _current?.Kill();
}

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
/// Once the app runs, the dashboard's commands stop, start and restart a replica (<see cref="StopAsync"/>,
/// <see cref="Start"/>, <see cref="RestartAsync"/>); a start after a stop is supervised as a first start again.
/// </summary>
public sealed class ReplicaSupervisor(Resource resource, int replica, RunContext context, AppHostConsole console)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly TaskCompletionSource _healthy = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _commands = new(1, 1);
    private readonly Lock _lock = new();
    private CancellationTokenSource _stopping = new();
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

    /// <summary>When the current process became healthy (its uptime starts there); null when it is not running.</summary>
    public DateTimeOffset? RunningSince { get; private set; }

    /// <summary>Completes when the replica first becomes healthy; faults with a <see cref="StartupFailedException"/>.</summary>
    public Task Healthy => _healthy.Task;

    /// <summary>Starts supervising; no-op while it already is (a second start command while running).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (!_loop.IsCompleted) return;
            if (_stopping.IsCancellationRequested)
            {
                _stopping.Dispose();
                _stopping = new CancellationTokenSource();
            }
            var stopping = _stopping.Token;
            _loop = Task.Run(() => SuperviseAsync(stopping));
        }
    }

    /// <summary>Stops the replica (as <see cref="StopAsync"/>) and starts it again.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        Start();
    }

    private async Task SuperviseAsync(CancellationToken stopping)
    {
        var backoff = FirstBackoff;
        var first = true;
        while (!stopping.IsCancellationRequested)
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
                if (!await BackOffAsync(backoff, stopping)) return;
                backoff = Next(backoff);
                continue;
            }
            var previous = _current;
            _current = process;
            previous?.Dispose();
            console.Log($"{Name} started (pid {process.Id})");

            var healthy = await WaitHealthyAsync(process, stopping);
            if (stopping.IsCancellationRequested) return;
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
                RunningSince = DateTimeOffset.UtcNow;
                console.Log(first ? $"{Name} is healthy" : $"{Name} is healthy again (restart {Restarts})");
                _healthy.TrySetResult();
            }
            first = false;

            int exit;
            try
            {
                exit = await process.Exited.WaitAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            LastExitCode = exit;
            RunningSince = null;
            if (DateTime.UtcNow - upSince >= StableAfter) backoff = FirstBackoff;
            State = ReplicaState.Restarting;
            console.Log($"{Name} crashed: {ChildProcess.DescribeExit(exit)}; restarting in {backoff.TotalSeconds:0} s");
            if (!await BackOffAsync(backoff, stopping)) return;
            backoff = Next(backoff);
            Restarts++;
        }
    }

    private static TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));

    /// <summary>Waits <paramref name="delay"/>; false when the app is stopping.</summary>
    private static async Task<bool> BackOffAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>True once the probe passes; false when the process exits or the start timeout passes first.</summary>
    private async Task<bool> WaitHealthyAsync(ChildProcess process, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
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

    /// <summary>Ends supervision, then SIGTERM and, after the resource's stop timeout, SIGKILL. Idempotent.</summary>
    public async Task StopAsync()
    {
        // One command at a time: a stop racing a restart must not leave two loops or an orphaned process.
        await _commands.WaitAsync();
        try
        {
            Task loop;
            lock (_lock)
            {
                _stopping.Cancel();
                loop = _loop;
            }
            await loop;
            _healthy.TrySetCanceled();
            if (_current is { } process)
            {
                if (!process.HasExited)
                {
                    State = ReplicaState.Stopping;
                    await process.StopAsync(Resource.StopTimeout);
                    LastExitCode = await process.Exited;
                    console.Log($"{Name} stopped ({ChildProcess.DescribeExit(LastExitCode.Value)})");
                }
                process.Dispose();
                _current = null;
            }
            RunningSince = null;
            if (State != ReplicaState.Failed) State = ReplicaState.Stopped;
        }
        finally
        {
            _commands.Release();
        }
    }

    /// <summary>Kills the process at once (a second Ctrl+C).</summary>
    public void Kill() => _current?.Kill();
}

using System.Runtime.InteropServices;

namespace Aof.AppHost.Hosting.Processes;

/// <summary>kill(2): .NET's Process only knows SIGKILL; stopping in order needs SIGTERM, and groups.</summary>
public static class UnixSignals
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/>; false when the process is already gone.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>Signals the process group led by <paramref name="pid"/> (the child and anything it started).</summary>
    public static bool SendToGroup(int pid, int signal) => Kill(-pid, signal) == 0;
}

using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Aof.Tests.Infrastructure;

/// <summary>What every fixture that starts a local process needs: a free loopback port, signals, cleanup.</summary>
public static class LocalProcesses
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>A loopback port free right now (the OS picks it; the listener is closed at once).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Sends a Unix signal (Process.Kill only sends SIGKILL).</summary>
    public static void Signal(int pid, int signal)
    {
        if (SendSignal(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Best effort: a temp directory left behind is harmless.</summary>
    public static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Aof.AppHost.Hosting.ApplicationModel;

namespace Aof.AppHost.Hosting.Orchestration;

/// <summary>
/// Gives every replica its port before anything starts (connection strings need them): the fixed port when the
/// model fixed one (and it is free), else a free loopback port.
/// </summary>
public static class PortAllocator
{
    /// <exception cref="StartupFailedException">A fixed port is already in use.</exception>
    public static void Allocate(IEnumerable<Resource> resources)
    {
        foreach (var resource in resources)
        {
            if (resource.Endpoint.IsFixed && resource.Replicas > 1)
                throw new StartupFailedException(resource.Name,
                    $"{resource.Replicas} replicas cannot share the fixed port {resource.Endpoint.Port}", []);
            resource.Endpoint.Allocated = Enumerable.Range(0, Math.Max(resource.Replicas, 1))
                .Select(_ => resource.Endpoint.Port is { } port and > 0 ? CheckFree(resource, port) : FreePort())
                .ToArray();
        }
    }

    private static int CheckFree(Resource resource, int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return port;
        }
        catch (SocketException)
        {
            throw new StartupFailedException(resource.Name,
                $"port {port} is already in use. Stop what listens on it, or choose another port with --port <n> (--port 0 picks a free one).", []);
        }
    }

    private static int FreePort()
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
}

using System.Net;
using System.Net.Sockets;

namespace StreamApp.Tests.Infrastructure;

/// <summary>Loopback ports for servers the tests start.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on the port, failing fast if the owner exited.</summary>
    public static async Task WaitForListenerAsync(int port, Func<bool> exited, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (exited())
            {
                throw new InvalidOperationException($"{what} exited before listening on {port}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25);
            }
        }

        throw new TimeoutException($"{what} did not listen on {port}");
    }
}

using Sluice.Configuration;
using System.Net.Sockets;
using Sluice.Core;
using Sluice.Http.Configuration;

namespace Sluice.Hosting;

/// <summary>
/// The checks nginx runs after a configuration parsed and before it is accepted (the rest of
/// <c>ngx_init_cycle</c>): the pid file can be created, every log file can be opened for append,
/// every shared zone has a size. <c>-t</c> runs them too, so it fails where startup would.
/// </summary>
public static class ConfigActivation
{
    /// <summary>Throws a <see cref="ConfigException"/> with nginx's wording for the first failing check.</summary>
    public static void Check(ConfigCompiler compiler, bool testOnly)
    {
        // nginx's events module checks this in its init_conf, after "syntax is ok" is printed.
        if (!compiler.Main.Get(CoreSettings.EventsSeen))
        {
            throw new ConfigException("no \"events\" section in configuration", (Configuration.Syntax.SourceLocation?)null);
        }

        var core = CoreConfig.From(compiler);
        if (testOnly)
        {
            OpenOrFail(core.PidPath, PidFile.Probe);
        }

        foreach (var path in compiler.State<OpenFileRegistry>().Paths)
        {
            OpenOrFail(path, static p =>
            {
                using var stream = new FileStream(p, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            });
        }

        compiler.State<SharedZoneRegistry>().CheckSizes();

        if (testOnly)
        {
            CheckListenSockets(compiler);
        }
    }

    /// <summary>
    /// nginx -t binds every listen socket once, so a privileged port or a bad address fails the test; an
    /// address already in use (the running server) is fine.
    /// </summary>
    private static void CheckListenSockets(ConfigCompiler compiler)
    {
        foreach (var address in ListenPlan.Sockets(compiler.State<HttpConfState>().Ports))
        {
            var endPoint = address.Options.EndPoint;
            var bound = false;
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
            try
            {
                if (endPoint.AddressFamily != AddressFamily.Unix)
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                }

                if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = address.Options.Ipv6Only == false;
                }

                socket.Bind(endPoint);
                bound = true;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
            }
            catch (SocketException e)
            {
                var errno = e.NativeErrorCode;
                throw new ConfigException($"bind() to {address.Options.AddressText} failed ({errno}: {UnixProcess.StrError(errno)})", (Configuration.Syntax.SourceLocation?)null);
            }
            finally
            {
                // Like nginx -t, remove the socket file this check created.
                if (bound && endPoint is UnixDomainSocketEndPoint unix && File.Exists(unix.ToString()))
                {
                    File.Delete(unix.ToString()!);
                }
            }
        }
    }

    private static void OpenOrFail(string path, Action<string> open)
    {
        try
        {
            open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (errno, text) = Errno.From(e);
            throw new ConfigException($"open() \"{path}\" failed ({errno}: {text})", (Configuration.Syntax.SourceLocation?)null);
        }
    }
}

namespace Sluice.Http.Configuration;

/// <summary>
/// Which sockets a configuration opens (nginx's <c>ngx_http_init_listening</c>): per port, addresses with
/// <c>bind</c> (or any socket option) get their own socket; when a wildcard address (<c>*:port</c>) exists,
/// the other addresses of that port are served through the wildcard socket and told apart by the local
/// address of each connection. Without a wildcard every address gets a socket.
/// </summary>
public static class ListenPlan
{
    /// <summary>The addresses to open sockets for, in nginx's order.</summary>
    public static IReadOnlyList<ListenAddressBuilder> Sockets(IEnumerable<ListenPortBuilder> ports)
    {
        var sockets = new List<ListenAddressBuilder>();
        foreach (var port in ports)
        {
            // nginx sorts: explicit binds first, then the rest, the wildcard last (stable otherwise).
            var sorted = port.Addresses
                .Select((address, index) => (address, index))
                .OrderBy(a => a.address.Options.Wildcard ? 2 : a.address.Options.Bind ? 0 : 1)
                .ThenBy(a => a.index)
                .Select(a => a.address)
                .ToList();
            var wildcard = sorted.Count > 0 && sorted[^1].Options.Wildcard;
            foreach (var address in sorted)
            {
                if (wildcard && !address.Options.Bind && !address.Options.Wildcard)
                {
                    continue;
                }

                sockets.Add(address);
            }
        }

        return sockets;
    }
}

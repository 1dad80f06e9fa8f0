using System.Globalization;

namespace Sluice.Hosting;

/// <summary>The pid file: written once listeners are bound, removed at exit, read by <c>-s</c>.</summary>
public static class PidFile
{
    /// <summary>What <c>-t</c> does: create the file if missing without truncating a running server's pid.</summary>
    public static void Probe(string path)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
    }

    public static void Write(string path) =>
        File.WriteAllText(path, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");

    /// <summary>Removes the file if it still names this process (a newer server may have replaced it).</summary>
    public static void Remove(string path)
    {
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>nginx's <c>ngx_signal_process</c> reading: up to 21 bytes, trailing CR/LF trimmed, digits only.</summary>
    public static bool TryRead(string path, out int pid, out string error)
    {
        pid = 0;
        string text;
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[22];
            var n = stream.Read(buffer, 0, buffer.Length);
            text = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var (errno, message) = Errno.From(e);
            error = $"open() \"{path}\" failed ({errno}: {message})";
            return false;
        }

        text = text.TrimEnd('\r', '\n');
        if (!Configuration.Values.NginxValues.TryParseInt(text, out pid))
        {
            error = $"invalid PID number \"{text}\" in \"{path}\"";
            return false;
        }

        error = "";
        return true;
    }
}

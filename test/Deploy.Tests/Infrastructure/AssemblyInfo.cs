// The deploy files target Linux hosts and containers, and so do their tests (keepalived, systemd, /proc, pgrep).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

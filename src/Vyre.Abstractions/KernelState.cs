namespace Vyre;

/// <summary>Values of the control block's kernel state word.</summary>
public enum KernelState : uint
{
    /// <summary>The device loop has not started.</summary>
    NotStarted = 0,

    /// <summary>The device loop is serving slots.</summary>
    Running = 1,

    /// <summary>The device loop has exited; the exit reason says why.</summary>
    Exited = 2,
}

/// <summary>Values of the exit reason.</summary>
public enum KernelExitReason : uint
{
    /// <summary>Still running.</summary>
    None = 0,

    /// <summary>The host set the stop word.</summary>
    HostShutdown = 1,

    /// <summary>A SHUTDOWN slot ran.</summary>
    ShutdownOpcode = 2,

    /// <summary>The host heartbeat went stale.</summary>
    HeartbeatStale = 3,
}

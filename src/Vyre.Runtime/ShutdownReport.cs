namespace Vyre;

/// <summary>How <see cref="MegakernelHost.ShutdownAsync"/> went.</summary>
/// <param name="ShutdownSlotRan">The SHUTDOWN slot ran after the outstanding slots (false when the ring was full or the device side had already stopped).</param>
/// <param name="DeviceExited">The device side (kernel or workers) exited within the wait timeout.</param>
/// <param name="MemoryReleased">The buffers were freed. False when the device side or a call could still touch them: they are kept allocated.</param>
/// <param name="Summary">What happened, in words, with the fix when something went wrong.</param>
public sealed record ShutdownReport(bool ShutdownSlotRan, bool DeviceExited, bool MemoryReleased, string Summary)
{
    /// <summary>Whether everything stopped and was freed.</summary>
    public bool Clean => DeviceExited && MemoryReleased;
}

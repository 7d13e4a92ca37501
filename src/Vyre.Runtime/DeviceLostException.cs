using System;

namespace Vyre;

/// <summary>
/// The host's device side was lost (a CUDA error poisoned its context, or the device loop exited on its own): the host
/// takes no more work. Slots that were in flight ended in FAULT <see cref="FaultCode.DeviceLost"/>. Device memory (the
/// heap, loaded programs, tenant permissions) went with the device. Fix: start a new host with
/// <see cref="MegakernelHost.RestartAsync"/> (on the same or another device), set up its state again, and resubmit.
/// </summary>
public sealed class DeviceLostException : InvalidOperationException
{
    /// <summary>Creates the exception for a host whose device was lost for <paramref name="reason"/>.</summary>
    public DeviceLostException(string reason)
        : base($"The megakernel's device was lost: {reason}. Slots in flight ended in FAULT DeviceLost and no new work is taken. Fix: start a new host with RestartAsync (on the same or another device), set up its heap and programs again, and resubmit.")
    {
        Reason = reason;
    }

    /// <summary>What was detected, in words.</summary>
    public string Reason { get; }
}

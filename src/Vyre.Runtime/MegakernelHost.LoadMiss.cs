using System;
using System.Runtime.Versioning;
using System.Threading;
using Microsoft.Win32.SafeHandles;
using Vyre.LoadMiss;
using Vyre.Ring;

namespace Vyre;

/// <summary>LOAD_MISS: files handlers may ask bytes of, served by the io_uring io service.</summary>
public sealed unsafe partial class MegakernelHost
{
    private readonly Lock _loadMissGate = new();
    private LoadMissService? _loadMiss;

    /// <summary>
    /// Opens <paramref name="path"/> read-only for LOAD_MISS and returns its file id, the <c>file</c>
    /// argument of <see cref="SlotContext.LoadMiss"/> and of the LOAD_MISS built-in. The first call starts
    /// the io service; until then a LOAD_MISS ends in FAULT <see cref="FaultCode.Unsupported"/>.
    /// </summary>
    /// <exception cref="System.IO.IOException">The file cannot be opened, or is a directory.</exception>
    /// <exception cref="IoUring.IoUringException">io_uring is unavailable or disabled; the message names the kernel setting.</exception>
    [SupportedOSPlatform("linux")]
    public uint RegisterIoFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return LoadMissService().Register(path);
    }

    /// <summary>
    /// Registers an open file for LOAD_MISS and returns its file id. The caller keeps owning
    /// <paramref name="handle"/> and must keep it open until <see cref="UnregisterIoFile"/> or shutdown.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public uint RegisterIoFile(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return LoadMissService().Register(handle);
    }

    /// <summary>Forgets file id <paramref name="file"/> (closing the file if the host opened it); later requests for it end in FAULT BadArgument.</summary>
    [SupportedOSPlatform("linux")]
    public void UnregisterIoFile(uint file)
    {
        ThrowIfStopped();
        LoadMissService? service = Volatile.Read(ref _loadMiss);
        if (service is null)
        {
            throw new ArgumentException($"File id {file} is not registered: no file is. Fix: pass an id RegisterIoFile returned.", nameof(file));
        }

        service.Unregister(file);
    }

    private LoadMissService LoadMissService()
    {
        ThrowIfStopped();
        lock (_loadMissGate)
        {
            if (_loadMiss is null)
            {
                var service = new LoadMissService(_ring, new IoRequests(_backend.IoQueue, _backend.Control), _backend.Data, _backend.DataBytes, _options.IoReads, _log, _meter);
                service.Start();
                _loadMiss = service;
            }

            return _loadMiss;
        }
    }

    /// <summary>At shutdown, once the device side has exited: ends every LOAD_MISS still waiting.</summary>
    private void StopLoadMiss()
    {
        lock (_loadMissGate)
        {
            _loadMiss?.Stop(_options.WaitTimeout);
        }
    }
}

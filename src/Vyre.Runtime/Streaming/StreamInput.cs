using System;
using Microsoft.Win32.SafeHandles;

namespace Vyre.Streaming;

/// <summary>One thing to stream: a file by path, or an open handle the caller owns.</summary>
public sealed class StreamInput
{
    private StreamInput(string name, string? path, SafeFileHandle? handle)
    {
        Name = name;
        Path = path;
        Handle = handle;
    }

    /// <summary>What results call it: the path, or the name given with a handle.</summary>
    public string Name { get; }

    /// <summary>The path to open, or null for a handle.</summary>
    public string? Path { get; }

    /// <summary>The handle to read (not closed by the stream), or null for a path.</summary>
    public SafeFileHandle? Handle { get; }

    /// <summary>A file the stream opens (O_DIRECT where allowed) and closes.</summary>
    public static StreamInput FromPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new StreamInput(path, path, null);
    }

    /// <summary>
    /// An open file read through its descriptor (as it was opened); the caller keeps ownership and must
    /// keep the handle open until the stream ends. A handle already closed yields a FAULT chunk (EBADF).
    /// </summary>
    public static StreamInput FromHandle(SafeFileHandle handle, string name)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new StreamInput(name, null, handle);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

using Microsoft.Win32.SafeHandles;

namespace Vyre.IoUring;

/// <summary>
/// A file in an <see cref="IoFileTable"/>: its handle (the table's own for a path it opened, else the caller's), its
/// fixed-file slot in the read engine, and how many reads hold it. Fields other than the names are guarded by the table.
/// </summary>
internal sealed class IoFile
{
    internal IoFile(uint id, int slot, SafeFileHandle handle, bool owned, string name, string? path, long size, bool direct)
    {
        Id = id;
        Slot = slot;
        Handle = handle;
        Owned = owned;
        Name = name;
        Path = path;
        Size = size;
        Direct = direct;
    }

    /// <summary>The file's id: its slot and the slot's generation, so an id removed names nothing, even once its slot is reused.</summary>
    public uint Id { get; }

    /// <summary>Its fixed-file slot in the read engine (the same index as in the table).</summary>
    public int Slot { get; }

    /// <summary>What the file is called in messages: its path, or the name the caller gave a handle.</summary>
    public string Name { get; }

    /// <summary>The path the table opened it from, or null for a caller's handle.</summary>
    public string? Path { get; }

    /// <summary>Its size when it was opened (statx), in bytes.</summary>
    public long Size { get; }

    /// <summary>Whether the table opened it (and closes it); false for a caller's handle.</summary>
    public bool Owned { get; }

    /// <summary>Whether it is read with O_DIRECT (aligned lengths; a short unaligned read is its end).</summary>
    public bool Direct { get; internal set; }

    internal SafeFileHandle Handle { get; set; }

    /// <summary>Reads in flight (each holds a reference to <see cref="Handle"/>).</summary>
    internal int Holds { get; set; }

    /// <summary>Removed from the table: its id names nothing; its slot is freed once the last hold ends.</summary>
    internal bool Removed { get; set; }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using NUnit.Framework;
using Vyre.IoUring;

namespace Vyre.Runtime.Tests;

/// <summary>
/// The read loop and file table both io loops share (<see cref="ReadQueue{TRead}"/>, <see cref="IoFileTable"/>), over a
/// scripted engine that reads the real files with pread but can answer any read with an errno or a short count, so the
/// retries, continuations, ends and cancellations the kernel only sometimes gives are all exercised.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed unsafe class ReadQueueTests
{
    private const int Bytes = 1 << 16;
    private byte* _memory;
    private string _dir = string.Empty;
    private string? _directDir;

    [SetUp]
    public void Allocate()
    {
        _memory = (byte*)NativeMemory.AlignedAlloc(Bytes, 4096);
        new Span<byte>(_memory, Bytes).Fill(0xEE);
        _dir = Directory.CreateTempSubdirectory("vyre-readqueue-").FullName;
    }

    [TearDown]
    public void Free()
    {
        NativeMemory.AlignedFree(_memory);
        Directory.Delete(_dir, recursive: true);
        if (_directDir is not null)
        {
            Directory.Delete(_directDir, recursive: true);
            _directDir = null;
        }
    }

    [Test]
    public void Short_reads_continue_where_they_stopped_and_EINTR_and_EAGAIN_are_retried()
    {
        byte[] content = Content(10_000);
        var engine = new ScriptedEngine((call, read) => call switch
        {
            0 => -4, // EINTR
            1 => -11, // EAGAIN
            _ => ScriptedEngine.Real(read, cap: 3_001),
        });
        using ReadQueue<string> reads = Queue(engine);
        IoFile file = Open(reads, "a", content);
        var ended = new List<(string, int, int)>();
        Assert.That(reads.Files.TryHold(file), Is.True);
        reads.Start(file, 100, (nint)_memory, 9_000, "a");
        Pump(reads, ended);

        Assert.That(ended, Is.EqualTo(new[] { ("a", 9_000, 0) }), "one end, whole, no error");
        Assert.That(new Span<byte>(_memory, 9_000).ToArray(), Is.EqualTo(content[100..9_100]));
        Assert.That(engine.Queued.Select(q => (q.Offset, q.Length)), Is.EqualTo(new (ulong, uint)[] { (100, 9_000), (100, 9_000), (100, 9_000), (3_101, 5_999), (6_102, 2_998) }), "retried at the same offset, continued where each short read stopped");
        Assert.That(reads.InFlight, Is.Zero);
    }

    [Test]
    public void A_read_past_the_end_ends_with_what_the_file_has_and_an_error_ends_with_its_errno()
    {
        byte[] content = Content(5_000);
        var engine = new ScriptedEngine((call, read) => read.UserData == 2 && call > 1 ? -5 : ScriptedEngine.Real(read, cap: 4_000));
        using ReadQueue<string> reads = Queue(engine);
        IoFile file = Open(reads, "short", content);
        var ended = new List<(string, int, int)>();
        Assert.That(reads.Files.TryHold(file) && reads.Files.TryHold(file), Is.True);
        reads.Start(file, 1_000, (nint)_memory, 8_192, "eof");
        reads.Start(file, 0, (nint)(_memory + 16_384), 8_192, "eio");
        Pump(reads, ended);

        Assert.That(ended, Is.EquivalentTo(new[] { ("eof", 4_000, 0), ("eio", 4_000, 5) }), "the end of the file after 4,000 bytes; EIO after the first 4,000");
        Assert.That(new Span<byte>(_memory, 4_000).ToArray(), Is.EqualTo(content[1_000..]));
    }

    [Test]
    public void Direct_reads_ask_aligned_lengths_end_at_a_short_unaligned_read_and_go_buffered_when_refused()
    {
        byte[] content = Content(10_000);
        bool refused = false;
        var engine = new ScriptedEngine((call, read) =>
        {
            if (!refused && read.Length % 4096 == 0)
            {
                refused = true;
                return -22; // EINVAL: the file system took O_DIRECT at open but not this read.
            }

            return ScriptedEngine.Real(read, cap: int.MaxValue);
        });
        using ReadQueue<string> reads = Queue(engine);
        IoFile file = OpenDirect(reads, content);
        var ended = new List<(string, int, int)>();
        Assert.That(reads.Files.TryHold(file), Is.True);
        reads.Start(file, 0, (nint)_memory, 5_000, "d");
        Pump(reads, ended);

        Assert.That(engine.Queued[0].Length, Is.EqualTo(8_192u), "the first read asks the length rounded up to 4 KiB");
        Assert.That(file.Direct, Is.False, "refused at the read: the whole file goes buffered");
        Assert.That(engine.Queued[1].Length, Is.EqualTo(5_000u), "then the exact length");
        Assert.That(ended, Is.EqualTo(new[] { ("d", 5_000, 0) }), "at most the length asked is reported");
        Assert.That(new Span<byte>(_memory, 5_000).ToArray(), Is.EqualTo(content[..5_000]));
        reads.Files.Remove(file);
    }

    [Test]
    public void Every_direct_read_in_flight_when_the_file_system_refuses_O_DIRECT_goes_again_buffered()
    {
        byte[] content = Content(20_000);
        int directFd = -1;
        var engine = new ScriptedEngine((_, read) => read.Fd == directFd ? -22 : ScriptedEngine.Real(read, cap: int.MaxValue)); // EINVAL for every read of the O_DIRECT descriptor.
        using ReadQueue<string> reads = Queue(engine);
        IoFile file = OpenDirect(reads, content);
        directFd = engine.FixedFiles[file.Slot];
        var ended = new List<(string, int, int)>();
        Assert.That(reads.Files.TryHold(file) && reads.Files.TryHold(file), Is.True);
        reads.Start(file, 0, (nint)_memory, 8_192, "first");
        reads.Start(file, 8_192, (nint)(_memory + 16_384), 8_192, "second");
        Pump(reads, ended);

        Assert.That(ended, Is.EquivalentTo(new[] { ("first", 8_192, 0), ("second", 8_192, 0) }), "both refused reads went again, buffered");
        Assert.That(new Span<byte>(_memory + 16_384, 8_192).ToArray(), Is.EqualTo(content[8_192..16_384]));
        reads.Files.Remove(file);
    }

    [Test]
    public void Cancel_ends_every_read_exactly_once_and_releases_its_file()
    {
        var engine = new ScriptedEngine((_, _) => null); // Nothing ever completes by itself.
        using ReadQueue<string> reads = Queue(engine);
        IoFile file = Open(reads, "c", Content(100));
        var ended = new List<(string, int, int)>();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(reads.Files.TryHold(file), Is.True);
            reads.Start(file, 0, (nint)(_memory + (i * 128)), 100, $"r{i}");
        }

        Assert.That(reads.Poll(TimeSpan.FromMilliseconds(1), (r, g, e) => ended.Add((r, g, e))), Is.False);
        engine.CompleteOnCancel = userData => userData == 2 ? 100 : -125;
        reads.Cancel(TimeSpan.FromSeconds(1), (r, g, e) => ended.Add((r, g, e)));

        Assert.That(ended, Is.EquivalentTo(new[] { ("r0", 0, 125), ("r1", 100, 0), ("r2", 0, 125) }), "the one that finished first keeps its bytes");
        Assert.That(reads.InFlight, Is.Zero);
        Assert.That(reads.HasRoom, Is.True);
        reads.Files.Remove(file);
        Assert.That(file.Handle.IsClosed, Is.True, "no hold is left over: the removed file is closed at once");
    }

    [Test]
    public void A_large_region_is_registered_in_pieces_of_1_GiB_and_a_read_across_two_goes_unpinned()
    {
        var engine = new ScriptedEngine((_, _) => null);
        const long Region = (5L << 30) / 2; // 2.5 GiB: never touched, the scripted engine only records addresses.
        nint start = (nint)(long)_memory + (nint)Bytes; // Any address: nothing is read there.
        using var reads = new ReadQueue<string>(engine, 4, 2, bufferedInWorker: false, start, Region, "test memory", NullLogger.Instance);
        Assert.That(engine.Registered.Select(b => (long)b.Length), Is.EqualTo(new[] { 1L << 30, 1L << 30, 1L << 29 }));
        IoFile file = Open(reads, "p", Content(16));
        Assert.That(reads.Files.TryHold(file) && reads.Files.TryHold(file), Is.True);
        long inThird = (2L << 30) + 64;
        reads.Start(file, 0, start + (nint)inThird, 16, "in the third piece");
        reads.Start(file, 0, start + (nint)(1L << 30) - 8, 16, "across the first two");
        Assert.That(engine.Queued.Select(q => q.BufferIndex), Is.EqualTo(new[] { 2, -1 }));
        reads.Cancel(TimeSpan.FromMilliseconds(10), (_, _, _) => { });
    }

    [Test]
    public void The_file_table_names_files_by_generation_and_frees_a_removed_file_after_its_last_read()
    {
        var engine = new ScriptedEngine((_, _) => null);
        using var reads = new ReadQueue<string>(engine, 4, 2, bufferedInWorker: false, (nint)_memory, Bytes, "test memory", NullLogger.Instance);
        IoFileTable files = reads.Files;
        IoFile first = Open(reads, "one", Content(8));
        IoFile second = Open(reads, "two", Content(8));
        Assert.That(files.TryOpen(Write("three", Content(8)), direct: false, out _, out string full), Is.EqualTo(24), "EMFILE: the table is full");
        Assert.That(full, Does.Contain("2 file slots"));

        Assert.That(files.TryHold(first.Id, out IoFile? held), Is.EqualTo(IoFileTable.Hold.Held));
        Assert.That(held, Is.SameAs(first));
        Assert.That(files.Remove(first.Id), Is.True);
        Assert.That(files.Remove(first.Id), Is.False, "removed once");
        Assert.That(files.TryHold(first.Id, out _), Is.EqualTo(IoFileTable.Hold.NoSuchFile), "a removed id names nothing at once");
        Assert.That(files.HasRoom, Is.False, "its slot stays taken while a read holds it");
        Assert.That(first.Handle.IsClosed, Is.False, "the descriptor stays open under the read");
        Assert.That(engine.FixedFiles[first.Slot], Is.Not.EqualTo(-1));

        files.Release(first);
        Assert.That(files.HasRoom, Is.True);
        Assert.That(first.Handle.IsClosed, Is.True, "the table closes a file it opened after its last read");
        Assert.That(engine.FixedFiles[first.Slot], Is.EqualTo(-1), "and clears its fixed file");
        IoFile third = Open(reads, "four", Content(8));
        Assert.That(third.Slot, Is.EqualTo(first.Slot), "the slot is reused");
        Assert.That(third.Id, Is.Not.EqualTo(first.Id), "with a new generation");
        Assert.That(files.TryHold(first.Id, out _), Is.EqualTo(IoFileTable.Hold.NoSuchFile), "the old id still names nothing");
        Assert.That(files.TryHold(uint.MaxValue, out _), Is.EqualTo(IoFileTable.Hold.NoSuchFile), "nor does a wild one");
        Assert.That(files.Remove(second.Id), Is.True);
        Assert.That(second.Handle.IsClosed, Is.True, "no read held it: closed at once");
    }

    [Test]
    public void The_file_table_takes_a_callers_handle_without_owning_it_and_refuses_what_is_not_a_file()
    {
        var engine = new ScriptedEngine((_, _) => null);
        using var reads = new ReadQueue<string>(engine, 4, 4, bufferedInWorker: false, (nint)_memory, Bytes, "test memory", NullLogger.Instance);
        IoFileTable files = reads.Files;
        using SafeFileHandle handle = File.OpenHandle(Write("mine", Content(8)));
        Assert.That(files.TryAdopt(handle, "mine", regularOnly: true, out IoFile? taken, out _), Is.Zero);
        IoFile adopted = taken!;
        Assert.That(files.TryHold(adopted), Is.True);
        handle.Dispose();
        Assert.That(handle.IsClosed, Is.False, "its owner disposed it, but the descriptor stays open under the read");
        files.Release(adopted);
        Assert.That(handle.IsClosed, Is.True, "and closes after it");
        Assert.That(files.TryHold(adopted.Id, out _), Is.EqualTo(IoFileTable.Hold.Closed), "closed by its owner: later reads are refused");
        files.Remove(adopted);

        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
        var pipeHandle = new SafeFileHandle(pipe.SafePipeHandle.DangerousGetHandle(), ownsHandle: false);
        Assert.That(files.TryAdopt(pipeHandle, "a pipe", regularOnly: true, out _, out string refusal), Is.EqualTo(29), "ESPIPE");
        Assert.That(refusal, Does.Contain("FIFO").And.Contain("Fix:"));
        Assert.That(files.TryAdopt(pipeHandle, "a pipe", regularOnly: false, out IoFile? loose, out _), Is.Zero, "LOAD_MISS takes any readable descriptor but a directory");
        files.Remove(loose!);
        Assert.That(pipe.SafePipeHandle.IsClosed, Is.False, "a caller's handle is never closed by the table");
        Assert.That(files.TryOpen(_dir, direct: false, out _, out string directory), Is.EqualTo(21), "EISDIR");

        int fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
        Assert.That(IoUringNative.Fcntl(fd, IoUringNative.FSetFl, IoUringNative.Fcntl(fd, IoUringNative.FGetFl, 0) | IoUringNative.ONonBlock), Is.Zero);
        Assert.That(files.TryAdopt(pipeHandle, "a pipe", regularOnly: false, out _, out string nonBlocking), Is.EqualTo(11), "EAGAIN: its reads would be retried forever");
        Assert.That(nonBlocking, Does.Contain("O_NONBLOCK").And.Contain("Fix:"));
        Assert.That(directory, Does.Contain("a directory"));
    }

    private ReadQueue<string> Queue(ScriptedEngine engine) =>
        new(engine, 8, 4, bufferedInWorker: true, (nint)_memory, Bytes, "test memory", NullLogger.Instance);

    private IoFile Open<T>(ReadQueue<T> reads, string name, byte[] content)
    {
        int errno = reads.Files.TryOpen(Write(name, content), direct: false, out IoFile? file, out string refusal);
        Assert.That(errno, Is.Zero, refusal);
        return file!;
    }

    /// <summary>Opens <paramref name="content"/> with O_DIRECT (in the build folder: /tmp may be a tmpfs that refuses it); inconclusive where the file system refuses it.</summary>
    private IoFile OpenDirect<T>(ReadQueue<T> reads, byte[] content)
    {
        _directDir ??= Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "vyre-direct-" + Guid.NewGuid().ToString("N"))).FullName;
        string path = Path.Combine(_directDir, "direct");
        File.WriteAllBytes(path, content);
        int errno = reads.Files.TryOpen(path, direct: true, out IoFile? file, out string refusal);
        Assume.That(errno, Is.Zero, refusal);
        Assume.That(file!.Direct, Is.True, "this file system takes O_DIRECT at open");
        return file;
    }

    private static void Pump(ReadQueue<string> reads, List<(string, int, int)> ended)
    {
        for (int i = 0; i < 100 && reads.InFlight > 0; i++)
        {
            reads.Poll(TimeSpan.FromMilliseconds(1), (r, g, e) => ended.Add((r, g, e)));
        }
    }

    private string Write(string name, byte[] content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Content(int length) => Enumerable.Range(0, length).Select(i => (byte)((i * 7) + (i >> 8))).ToArray();

    /// <summary>
    /// A read engine whose answers a script gives: a number is the read's result; null leaves the read in flight. Queued
    /// reads are answered at the next submit, in order; <see cref="Real"/> does the read with pread.
    /// </summary>
    private sealed class ScriptedEngine(Func<int, QueuedRead, int?> script) : IReadEngine
    {
        private readonly Queue<QueuedRead> _toSubmit = new();
        private readonly Queue<(ulong, int)> _completed = new();
        private readonly List<QueuedRead> _inFlight = [];
        private int _calls;

        public List<QueuedRead> Queued { get; } = [];

        public List<(nint Address, nuint Length)> Registered { get; } = [];

        public int[] FixedFiles { get; private set; } = [];

        public Func<ulong, int>? CompleteOnCancel { get; set; }

        public string Description => "scripted";

        public static int Real(QueuedRead read, int cap) =>
            (int)IoUringNative.Pread(read.Fd, read.Address, Math.Min(read.Length, (uint)cap), (long)read.Offset) is int got and >= 0 ? got : -Marshal.GetLastPInvokeError();

        public bool TryRegisterBuffers(ReadOnlySpan<(nint Address, nuint Length)> buffers)
        {
            Registered.AddRange(buffers.ToArray());
            return true;
        }

        public void RegisterFileTable(int count) => FixedFiles = Enumerable.Repeat(-1, count).ToArray();

        public void SetFixedFile(int index, int fd) => FixedFiles[index] = fd;

        public bool TryQueueRead(int file, bool fixedFile, nint address, uint length, ulong offset, int bufferIndex, ulong userData, bool inWorker = false)
        {
            var read = new QueuedRead(fixedFile ? FixedFiles[file] : file, address, length, offset, bufferIndex, userData);
            Queued.Add(read);
            _toSubmit.Enqueue(read);
            return true;
        }

        public int Submit(int waitFor = 0, TimeSpan timeout = default)
        {
            int submitted = _toSubmit.Count;
            while (_toSubmit.TryDequeue(out QueuedRead read))
            {
                if (script(_calls++, read) is int result)
                {
                    _completed.Enqueue((read.UserData, result));
                }
                else
                {
                    _inFlight.Add(read);
                }
            }

            return submitted;
        }

        public bool TryReap(out ulong userData, out int result)
        {
            bool any = _completed.TryDequeue(out (ulong UserData, int Result) done);
            (userData, result) = done;
            return any;
        }

        public void CancelAndReap(ReadOnlySpan<ulong> targets, int pending, TimeSpan bound, Action<ulong, int> completed)
        {
            foreach (ulong target in targets)
            {
                if (_inFlight.RemoveAll(r => r.UserData == target) > 0 && CompleteOnCancel is { } answer)
                {
                    completed(target, answer(target));
                }
            }
        }

        public void Dispose()
        {
        }
    }

    private readonly record struct QueuedRead(int Fd, nint Address, uint Length, ulong Offset, int BufferIndex, ulong UserData);
}

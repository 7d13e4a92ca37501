using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;
using Vyre.Internals;

namespace Vyre;

/// <summary>
/// What a handler sees of its slot: the opcode and tenant, twelve argument words (results are written
/// back into them), a bounds-checked view of the data buffer, the word heap, and fault reporting.
/// It is a plain struct of ILGPU views and addresses, so the same handler runs inside an ILGPU kernel and from C#.
/// Out-of-range access never throws (a kernel cannot): it records a <see cref="FaultCode.OutOfBounds"/>
/// fault and the slot ends in FAULT whatever the handler returns.
/// </summary>
public unsafe struct SlotContext
{
    private SharedWords _ring;
    private ArrayView<byte> _data;
    private ArrayView<uint> _heap;
    private ulong _dataAddress;
    private ulong _heapAddress;
    private ulong _scratchAddress;
    private int _slotBase;
    private int _scratchBase;
    private int _slotIndex;
    private uint _opcode;
    private uint _tenant;
    private int _argBase;
    private int _argCount;
    private LoadRequest _load;
    private SlotWords _words;

    // 1 when the argument words live in memory rather than in _words: a handler called by a VIR0 program reads and
    // writes the program's registers (ForProgram). An int, not a bool: ILGPU 1.5 loads two adjacent bool fields as one
    // vector of predicates (ld.v2.b8 into %p registers), which the PTX assembler refuses.
    private int _argsInMemory;

    // Whether a fault can have been recorded: set by Fail and when a view is handed out (a view records its own). A slot
    // that never did either skips reading its scratch at completion (on a GPU, a read of device memory per slot).
    private bool _mayHaveFault;

    /// <summary>
    /// Creates the context of ring slot <paramref name="slotIndex"/>; the device loop and the CPU workers call this. The
    /// slot's fault lives in its scratch words, which the views it hands out share.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotContext(in MegakernelBuffers buffers, int slotIndex, uint opcode, uint tenant)
        : this(buffers, slotIndex, opcode, tenant, CudaAsm.IsSupported ? SlotWords.Read(buffers.Ring, slotIndex * SlotLayout.WordCount) : default)
    {
    }

    /// <summary>
    /// Creates the context of a slot whose words the caller has read: how the device builds it, with <see cref="Init"/>'s
    /// fields. The constructor had a copy of that field list of its own until 2026-12-02, when the kernels' context had
    /// come to live in registers: the benchmarks' kernels compile to the same PTX either way (but for the build's hash).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal SlotContext(in MegakernelBuffers buffers, int slotIndex, uint opcode, uint tenant, in SlotWords words) =>
        Init(out this, buffers, slotIndex, opcode, tenant, words);

    /// <summary>
    /// Makes <paramref name="slot"/> the context of a slot whose words the caller has read, in place: how the Managed
    /// workers build it (<c>SlotExecutor.ExecuteOnCpu</c>). .NET builds an inlined struct constructor's result in a temporary and copies it into a local whose address
    /// is taken (the executor passes its context by reference), and that 256-byte copy, right after the temporary's field
    /// writes, stalls on store forwarding: most of what a Managed worker spent per slot beyond the handler
    /// (docs/benchmarks.md, 2026-12-02). The constructor is this, on itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Init(out SlotContext slot, in MegakernelBuffers buffers, int slotIndex, uint opcode, uint tenant, in SlotWords words)
    {
        slot._words = words;
        slot._ring = buffers.Ring;
        slot._data = buffers.Data;
        slot._heap = buffers.Heap;
        slot._dataAddress = buffers.DataAddress;
        slot._heapAddress = buffers.HeapAddress;
        slot._scratchAddress = buffers.ScratchAddress;
        // No fault is recorded yet: a slot's scratch is zero when it starts, because completion clears what a fault left
        // (SlotExecutor.Complete), which spares every slot that does not fault two writes.
        slot._scratchBase = slotIndex * SlotScratch.WordsPerSlot;
        slot._mayHaveFault = false;
        slot._argsInMemory = 0;
        slot._slotBase = slotIndex * SlotLayout.WordCount;
        slot._argBase = SlotLayout.FirstArgument;
        slot._argCount = SlotLayout.ArgumentCount;
        slot._load = default;
        slot._slotIndex = slotIndex;
        slot._opcode = opcode;
        slot._tenant = tenant;
    }

    /// <summary>The slot's index in the ring.</summary>
    public readonly int SlotIndex => _slotIndex;

    /// <summary>The opcode being run.</summary>
    public uint Opcode
    {
        readonly get => _opcode;
        private set => _opcode = value;
    }

    /// <summary>The tenant that published the slot.</summary>
    public readonly uint Tenant => _tenant;

    /// <summary>Number of argument words this handler may read and write (12, or 1 inside a packed slot).</summary>
    public readonly int ArgumentCount => _argCount;

    /// <summary>Length of the data buffer in bytes.</summary>
    public readonly long DataLength => _data.Length;

    /// <summary>Length of the word heap in words.</summary>
    public readonly long HeapLength => _heap.Length;

    /// <summary>Whether a fault has been recorded (by this context or by a view it handed out).</summary>
    public readonly bool HasFault => _mayHaveFault && ScratchWords[SlotScratch.Fault] != (uint)FaultCode.None;

    /// <summary>The recorded fault, or <see cref="FaultCode.None"/>.</summary>
    public readonly FaultCode Fault => _mayHaveFault ? (FaultCode)ScratchWords[SlotScratch.Fault] : FaultCode.None;

    /// <summary>The recorded fault's detail word.</summary>
    public readonly uint FaultDetail => _mayHaveFault ? ScratchWords[SlotScratch.Detail] : 0;

    /// <summary>The address of this slot's scratch words (<see cref="SlotScratch"/>), where it and its views record faults.</summary>
    private readonly ulong ScratchAddress => _scratchAddress + ((ulong)_scratchBase * sizeof(uint));

    /// <summary>This slot's scratch words.</summary>
    private readonly uint* ScratchWords => (uint*)ScratchAddress;

    /// <summary>Argument word <paramref name="index"/> (0..11).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Arg(int index)
    {
        if ((uint)index >= (uint)_argCount)
        {
            Fail(FaultCode.OutOfBounds, (uint)index);
            return 0;
        }

        return CudaAsm.IsSupported && _argsInMemory == 0 ? _words.Get(_argBase + index) : _ring.ReadClaimed(_slotBase + _argBase + index);
    }

    /// <summary>Writes result word <paramref name="index"/> (0..11): the argument word of the same index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetResult(int index, uint value)
    {
        if ((uint)index >= (uint)_argCount)
        {
            Fail(FaultCode.OutOfBounds, (uint)index);
            return;
        }

        _ring.Write(_slotBase + _argBase + index, value);
        if (CudaAsm.IsSupported && _argsInMemory == 0)
        {
            _words.Set(_argBase + index, value);
        }
    }

    /// <summary>Argument word <paramref name="index"/> as an <see cref="int"/> (two's complement; <c>SlotRequest.WithArgument(i, int)</c> writes it).</summary>
    public int ArgInt32(int index) => (int)Arg(index);

    /// <summary>Argument word <paramref name="index"/> as the <see cref="float"/> whose bits it holds (<c>SlotRequest.WithArgument(i, float)</c>).</summary>
    public float ArgSingle(int index) => Interop.IntAsFloat(Arg(index));

    /// <summary>Argument words <paramref name="index"/> (low) and <paramref name="index"/> + 1 (high) as a <see cref="ulong"/>.</summary>
    public ulong ArgUInt64(int index) => Arg(index) | ((ulong)Arg(index + 1) << 32);

    /// <summary>Writes result word <paramref name="index"/> as an <see cref="int"/> (read back with <c>SlotResult.GetInt32</c>).</summary>
    public void SetResult(int index, int value) => SetResult(index, (uint)value);

    /// <summary>Writes the bits of <paramref name="value"/> into result word <paramref name="index"/> (read back with <c>SlotResult.GetSingle</c>).</summary>
    public void SetResult(int index, float value) => SetResult(index, Interop.FloatAsInt(value));

    /// <summary>Writes <paramref name="value"/> into result words <paramref name="index"/> (low) and <paramref name="index"/> + 1 (high).</summary>
    public void SetResult(int index, ulong value)
    {
        SetResult(index, (uint)value);
        SetResult(index + 1, (uint)(value >> 32));
    }

    /// <summary>
    /// A bounds-checked view of <paramref name="length"/> bytes of the data buffer from <paramref name="offset"/>;
    /// empty, with an <see cref="FaultCode.OutOfBounds"/> fault recorded, when the range is outside the buffer.
    /// </summary>
    /// <remarks>Inlined wherever it is called, so that a handler the kernel runs in place never takes its context's address (docs/handler-signature.md).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotView<byte> Bytes(uint offset, uint length)
    {
        _mayHaveFault = true;
        if ((ulong)offset + length > (ulong)_data.Length)
        {
            Fail(FaultCode.OutOfBounds, offset);
            return new SlotView<byte>(_dataAddress, 0, ScratchAddress, 0);
        }

        return new SlotView<byte>(_dataAddress + offset, length, ScratchAddress, offset);
    }

    /// <summary>
    /// A bounds-checked view of <paramref name="count"/> heap words from <paramref name="offset"/>; empty, with an
    /// <see cref="FaultCode.OutOfBounds"/> fault recorded, when the range is outside the heap.
    /// </summary>
    /// <remarks>Inlined wherever it is called, so that a handler the kernel runs in place never takes its context's address (docs/handler-signature.md).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotView<uint> Words(uint offset, uint count)
    {
        _mayHaveFault = true;
        if ((ulong)offset + count > (ulong)_heap.Length)
        {
            Fail(FaultCode.OutOfBounds, offset);
            return new SlotView<uint>(_heapAddress, 0, ScratchAddress, 0);
        }

        return new SlotView<uint>(_heapAddress + ((ulong)offset * sizeof(uint)), count, ScratchAddress, (long)offset * sizeof(uint));
    }

    /// <summary>Records a handler fault with <paramref name="detail"/> and returns <see cref="SlotStatus.Fault"/>: <c>return slot.Fail(42);</c>.</summary>
    public SlotStatus Fail(uint detail) => Fail(FaultCode.HandlerFault, detail);

    /// <summary>Records <paramref name="code"/> with <paramref name="detail"/> (the first fault wins) and returns <see cref="SlotStatus.Fault"/>.</summary>
    public SlotStatus Fail(FaultCode code, uint detail)
    {
        SlotScratch.Record(ScratchWords, code, detail, clean: !_mayHaveFault);
        _mayHaveFault = true;

        return SlotStatus.Fault;
    }

    /// <summary>
    /// Asks the host's io service for <paramref name="length"/> bytes of io file <paramref name="file"/>
    /// (an id from <c>MegakernelHost.RegisterIoFile</c>) from <paramref name="fileOffset"/>, read with
    /// io_uring straight into the data buffer at <paramref name="dataOffset"/>. Return its result from the
    /// handler: <c>return slot.LoadMiss(file, offset, length, dataOffset);</c>. The slot then ends when
    /// the read does: DONE with result 0 = bytes read (fewer at the end of the file; the handler's other
    /// result words are kept), or FAULT with <see cref="FaultCode.IoError"/> and the errno. A data range
    /// outside the buffer faults at once with <see cref="FaultCode.OutOfBounds"/>.
    /// </summary>
    /// <remarks>Inlined wherever it is called, so that a handler the kernel runs in place never takes its context's address (docs/handler-signature.md).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotStatus LoadMiss(uint file, ulong fileOffset, uint length, uint dataOffset)
    {
        if ((ulong)dataOffset + length > (ulong)_data.Length)
        {
            return Fail(FaultCode.OutOfBounds, dataOffset);
        }

        _load = new LoadRequest { Asked = true, File = file, FileOffset = fileOffset, Length = length, DataOffset = dataOffset };
        return SlotStatus.WaitIo;
    }

    /// <summary>The read <see cref="LoadMiss"/> asked for (<see cref="LoadRequest.Asked"/> false when none).</summary>
    internal readonly LoadRequest Load => _load;

    /// <summary>Narrows the argument window to one packed op: its word is both argument 0 and result 0.</summary>
    internal void EnterPackedOp(uint opcode, int argumentWord)
    {
        Opcode = opcode;
        _argBase = argumentWord;
        _argCount = 1;
    }

    /// <summary>
    /// A context for the handler calls of a VIR0 program run by this slot: the same slot, scratch and buffers, with argument
    /// words in <paramref name="registers"/> (see <see cref="EnterProgramCall"/>). Its status words are not this slot's: the
    /// interpreter completes the slot through the original context.
    /// </summary>
    internal readonly SlotContext ForProgram(SharedWords registers)
    {
        SlotContext call = this;
        call._ring = registers;
        call._argsInMemory = 1;
        call._slotBase = 0;
        call._argBase = 0;
        return call;
    }

    /// <summary>Points a <see cref="ForProgram"/> context at one call: opcode, first register word, argument count.</summary>
    internal void EnterProgramCall(uint opcode, int firstRegisterWord, int count)
    {
        Opcode = opcode;
        _slotBase = firstRegisterWord;
        _argCount = count;
        _load = default;
    }

    /// <summary>Whether this context recorded a fault or handed out a view that may have (completion then reads the scratch).</summary>
    internal readonly bool MayHaveFault => _mayHaveFault;

    /// <summary>Makes completion read the slot's scratch: another lane of a warp-wide slot may have recorded a fault there.</summary>
    internal void MarkMayHaveFault() => _mayHaveFault = true;

    /// <summary>A bounds-checked view of <paramref name="words"/> (a warp's group scratch) whose faults are this slot's.</summary>
    internal readonly SlotView<uint> ViewOf(ulong address, int words) => new(address, words, ScratchAddress, 0);

    /// <summary>Forgets the recorded fault, once completion has copied it into the slot: the next slot here starts clean.</summary>
    internal readonly void ClearFault()
    {
        uint* scratch = ScratchWords;
        scratch[SlotScratch.Fault] = (uint)FaultCode.None;
        scratch[SlotScratch.Detail] = 0;
    }

    /// <summary>
    /// Reads a word of this slot (any of the 16) without the argument window: on a GPU from the words the context holds (the
    /// ring is host memory there, a PCIe round trip a read), as <see cref="Arg"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly uint ReadWord(int word) => CudaAsm.IsSupported && _argsInMemory == 0 ? _words.Get(word) : _ring.ReadClaimed(_slotBase + word);

    /// <summary>Writes the slot's status word after everything this lane wrote before (<see cref="SharedWords.WriteRelease"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly void ReleaseStatus(uint state) => _ring.WriteRelease(_slotBase + SlotLayout.Status, state);

    /// <summary>Writes a word of this slot (any of the 16) without the argument window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly void WriteWord(int word, uint value) => _ring.Write(_slotBase + word, value);
}

/// <summary>A read a handler asked for with <see cref="SlotContext.LoadMiss"/>.</summary>
internal struct LoadRequest
{
    public bool Asked;
    public uint File;
    public ulong FileOffset;
    public uint Length;
    public uint DataOffset;
}

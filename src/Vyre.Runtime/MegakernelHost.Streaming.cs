using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using Vyre.IoUring;
using Vyre.Streaming;

namespace Vyre;

/// <summary>Streaming files through handlers with the io_uring sidecar.</summary>
public sealed unsafe partial class MegakernelHost
{
    /// <summary>How long one host wait may take (<see cref="MegakernelOptions.WaitTimeout"/>).</summary>
    internal TimeSpan WaitTimeout => _options.WaitTimeout;

    /// <summary>How the io sidecar reads files (<see cref="MegakernelOptions.IoReads"/>).</summary>
    internal IoReads IoReads => _options.IoReads;

    /// <summary>
    /// Reads <paramref name="inputs"/> in chunks with io_uring straight into staging buffers in the data
    /// buffer and runs <paramref name="opcode"/> on each chunk. The handler gets argument words
    /// <c>[0] data offset, [1] bytes it owns, [2] readable bytes (own + overlap), [3] staging index,
    /// [4..] StreamOptions.ExtraArguments</c>. Results come back as chunks finish, in any order, each
    /// with its input and file offset; a chunk's staging buffer (and any heap words keyed by its
    /// staging index) stays untouched until the consumer asks for the next chunk.
    /// </summary>
    /// <remarks>An empty file yields one chunk of length 0. A failed open or read yields a FAULT chunk
    /// (<see cref="FaultCode.IoError"/>, errno as detail) and the stream goes on with the rest.</remarks>
    /// <exception cref="IoUring.IoUringException">io_uring is unavailable or disabled; the message names the kernel setting.</exception>
    [SupportedOSPlatform("linux")]
    public async IAsyncEnumerable<FileChunk> StreamAsync(IReadOnlyList<StreamInput> inputs, uint opcode, StreamOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= new StreamOptions();
        options.Validate(DataBytes, SlotCount, _backend.HeapWords);
        RequestValidator.Validate(new SlotRequest(opcode), _options.SlotCount);

        // The io thread writes into the data buffer: the stream is a call inside the host until it ends.
        EnterLongCall();

        StreamRun? run = null;
        try
        {
            run = new StreamRun(this, inputs, opcode, options);
            run.Start();
            await foreach (FileChunk chunk in run.Results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return chunk;
                run.Release(chunk.StagingIndex);

                // Chunks already waiting in the channel do not outlive a cancellation.
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            run?.Stop();
            run?.Dispose();
            ExitCall();
        }
    }
}

using System;
using System.ComponentModel;
using ILGPU;

namespace Vyre.Internals;

/// <summary>
/// What the generator gives the runtime for one megakernel (as <c>X.Definition</c>): its template and
/// its two ILGPU kernel entry points, which are specialised to the megakernel's dispatch tree.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class MegakernelDefinition
{
    /// <summary>Wraps the generated parts.</summary>
    public MegakernelDefinition(
        MegakernelTemplate template,
        Action<Index1D, MegakernelBuffers> persistentKernel,
        Action<Index1D, MegakernelBuffers, uint, int> onceKernel)
    {
        Template = template ?? throw new ArgumentNullException(nameof(template));
        PersistentKernel = persistentKernel ?? throw new ArgumentNullException(nameof(persistentKernel));
        OnceKernel = onceKernel ?? throw new ArgumentNullException(nameof(onceKernel));
    }

    /// <summary>The megakernel's full type name.</summary>
    public string Name => Template.Name;

    /// <summary>The Program IR built at compile time.</summary>
    public MegakernelTemplate Template { get; }

    /// <summary>The persistent kernel entry point.</summary>
    public Action<Index1D, MegakernelBuffers> PersistentKernel { get; }

    /// <summary>The finite ("once") kernel entry point.</summary>
    public Action<Index1D, MegakernelBuffers, uint, int> OnceKernel { get; }
}

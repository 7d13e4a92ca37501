using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Vyre.Generators;

/// <summary>A rule a handler breaks, where, and the message arguments.</summary>
internal readonly struct RuleViolation
{
    public RuleViolation(DiagnosticDescriptor descriptor, Location location, params object?[] arguments)
    {
        Descriptor = descriptor;
        Location = location;
        Arguments = arguments;
    }

    public DiagnosticDescriptor Descriptor { get; }

    public Location Location { get; }

    public object?[] Arguments { get; }

    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location, Arguments);
}

/// <summary>
/// The rules a handler and its megakernel class must keep to run on a GPU. The analyzer reports them;
/// the generator asks the same questions and leaves out any handler that breaks one, so a malformed
/// handler never reaches ILGPU.
/// </summary>
internal static class HandlerRules
{
    public const string OpcodeHandlerAttributeName = "Vyre.OpcodeHandlerAttribute";
    public const string MegakernelAttributeName = "Vyre.MegakernelAttribute";
    public const string SlotGroupInterfaceName = "Vyre.ISlotGroup";

    /// <summary><c>HandlerWidth.Warp</c>'s value.</summary>
    private const int WarpWidth = 1;
    private const int MaxCallDepth = 32;

    private static readonly string[] s_allowedNamespaces = ["Vyre", "ILGPU"];
    private static readonly string[] s_allowedTypes = ["System.Math", "System.MathF", "System.Numerics.BitOperations"];

    /// <summary>Library members outside the allowed types that ILGPU maps to GPU instructions (the corpus runs each).</summary>
    private static readonly Dictionary<string, string[]> s_vettedMembers = new()
    {
        ["System.Threading.Interlocked"] = ["Add", "Exchange", "CompareExchange"],
        ["System.Runtime.CompilerServices.Unsafe"] = ["As"],
        ["System.Diagnostics.Debug"] = ["Assert"],
    };

    /// <summary>ILGPU types whose members act on a whole warp, group or grid: a lane handler runs alone (VYR110).</summary>
    private static readonly string[] s_groupTypes = ["ILGPU.Warp", "ILGPU.Group", "ILGPU.Grid", "ILGPU.SharedMemory", "ILGPU.Algorithms.WarpExtensions", "ILGPU.Algorithms.GroupExtensions"];

    public static bool HasAttribute(ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == metadataName);

    public static bool TryGetOpcode(IMethodSymbol method, out uint opcode, out AttributeData? attribute)
    {
        attribute = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == OpcodeHandlerAttributeName);
        opcode = 0;
        if (attribute is null || attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not uint value)
        {
            return false;
        }

        opcode = value;
        return true;
    }

    /// <summary>Whether the handler's attribute says <c>Width = HandlerWidth.Warp</c>.</summary>
    public static bool IsWarpWide(IMethodSymbol method) =>
        TryGetOpcode(method, out _, out AttributeData? attribute)
        && attribute!.NamedArguments.Any(a => a.Key == "Width" && a.Value.Value is int width && width == WarpWidth);

    /// <summary>
    /// The warp-wide shape: <c>static SlotStatus Name&lt;TGroup&gt;(ref SlotContext slot, ref TGroup group) where TGroup :
    /// struct, ISlotGroup</c>.
    /// </summary>
    private static bool HasGroupSignature(IMethodSymbol method) =>
        method.ReturnType.ToDisplayString() == "Vyre.SlotStatus"
        && method.TypeParameters.Length == 1
        && method.TypeParameters[0] is { HasValueTypeConstraint: true } group
        && group.ConstraintTypes.Any(t => t.ToDisplayString() == SlotGroupInterfaceName)
        && method.Parameters.Length == 2
        && method.Parameters[0].RefKind == RefKind.Ref
        && IsSlotContext(method.Parameters[0].Type)
        && method.Parameters[1].RefKind == RefKind.Ref
        && SymbolEqualityComparer.Default.Equals(method.Parameters[1].Type, group);

    /// <summary>Whether <paramref name="type"/> is <c>SlotContext</c> (which also must never be copied: VYR113).</summary>
    private static bool IsSlotContext(ITypeSymbol type) => type.ToDisplayString() == "Vyre.SlotContext";

    /// <summary>Whether <paramref name="type"/> is <c>ISlotGroup</c> or a type that implements it (a group operation's receiver).</summary>
    private static bool IsGroupType(ITypeSymbol type) =>
        type.ToDisplayString() == SlotGroupInterfaceName || type.AllInterfaces.Any(i => i.ToDisplayString() == SlotGroupInterfaceName);

    /// <summary>VYR003 and VYR008: the shape of a [Megakernel] class.</summary>
    public static void CheckMegakernelClass(INamedTypeSymbol type, List<RuleViolation> into)
    {
        Location location = type.Locations.FirstOrDefault() ?? Location.None;
        string? fix = null;
        if (type.ContainingType is not null)
        {
            fix = "move it out of '" + type.ContainingType.Name + "' to namespace level";
        }
        else if (!type.IsStatic)
        {
            fix = "add the 'static' modifier";
        }
        else if (!type.DeclaringSyntaxReferences.All(r => r.GetSyntax() is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            fix = "add the 'partial' modifier";
        }

        if (fix is not null)
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.BadMegakernelClass, location, type.Name, fix));
        }

        if (type.IsGenericType)
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.GenericMegakernel, location, type.Name));
        }
    }

    /// <summary>VYR001..VYR007 and VYR202/VYR203: a handler's declaration and opcode.</summary>
    public static void CheckDeclaration(IMethodSymbol method, List<RuleViolation> into)
    {
        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        if (!method.IsStatic)
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.NotStatic, location, method.Name));
        }

        if (method.ContainingType is not { } type || !HasAttribute(type, MegakernelAttributeName))
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.NotInMegakernel, location, method.Name));
        }

        if (method.IsAsync)
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.Async, location, method.Name));
        }

        bool warp = IsWarpWide(method);
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.RefReturn, location, method.Name));
        }
        else if (warp)
        {
            if (!HasGroupSignature(method))
            {
                into.Add(new RuleViolation(DiagnosticDescriptors.WrongGroupSignature, location, method.Name));
            }
        }
        else if (HasGroupSignature(method))
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.GroupInLaneHandler, method.Parameters[1].Locations.FirstOrDefault() ?? location, "The group parameter '" + method.Parameters[1].Name + "'", method.Name));
        }
        else if (method.IsGenericMethod)
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.Generic, location, method.Name));
        }
        else if (method.ReturnType.ToDisplayString() != "Vyre.SlotStatus"
            || method.Parameters.Length != 1
            || method.Parameters[0].RefKind != RefKind.Ref
            || !IsSlotContext(method.Parameters[0].Type))
        {
            into.Add(new RuleViolation(DiagnosticDescriptors.WrongSignature, location, method.Name));
        }

        if (TryGetOpcode(method, out uint opcode, out AttributeData? attribute))
        {
            Location opcodeLocation = OpcodeLocation(attribute!) ?? location;
            if (Opcodes.IsSystem(opcode))
            {
                into.Add(new RuleViolation(DiagnosticDescriptors.SystemOpcode, opcodeLocation, opcode, method.Name));
            }
            else if (Opcodes.TenantWindowOf(opcode) is var window and >= 0)
            {
                into.Add(new RuleViolation(DiagnosticDescriptors.TenantWindowOpcode, opcodeLocation, opcode, method.Name, window));
            }
        }
    }

    /// <summary>VYR201: handlers of one megakernel that share an opcode (reported on each later one).</summary>
    public static void CheckDuplicates(INamedTypeSymbol type, List<RuleViolation> into)
    {
        var seen = new Dictionary<uint, IMethodSymbol>();
        foreach (IMethodSymbol method in type.GetMembers().OfType<IMethodSymbol>().OrderBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0))
        {
            if (!TryGetOpcode(method, out uint opcode, out AttributeData? attribute))
            {
                continue;
            }

            if (seen.TryGetValue(opcode, out IMethodSymbol? first))
            {
                into.Add(new RuleViolation(DiagnosticDescriptors.DuplicateOpcode, OpcodeLocation(attribute!) ?? Location.None, opcode, first.Name, method.Name));
            }
            else
            {
                seen.Add(opcode, method);
            }
        }
    }

    /// <summary>
    /// VYR101..VYR109: what a handler's body does, and the bodies of the source methods it calls, each
    /// violation located where it is written (a helper's own line, not the handler's call of it).
    /// </summary>
    /// <remarks><paramref name="reached"/>, when given, receives every method the walk reached: the handler and its source callees, and the library methods they call.</remarks>
    public static void CheckBody(IOperation body, IMethodSymbol handler, Func<SyntaxTree, SemanticModel> models, List<RuleViolation> into, HashSet<IMethodSymbol>? reached = null) =>
        new BodyWalk(handler, models, into, reached).Walk(body, handler);

    /// <summary>One walk from a handler through its source callees; each method is checked once.</summary>
    private sealed class BodyWalk
    {
        private readonly IMethodSymbol _handler;
        private readonly bool _warp;
        private readonly Func<SyntaxTree, SemanticModel> _models;
        private readonly List<RuleViolation> _into;
        private readonly HashSet<IMethodSymbol> _checked = new(SymbolEqualityComparer.Default);
        private readonly List<IMethodSymbol> _path = [];
        private readonly HashSet<IMethodSymbol>? _reached;

        public BodyWalk(IMethodSymbol handler, Func<SyntaxTree, SemanticModel> models, List<RuleViolation> into, HashSet<IMethodSymbol>? reached)
        {
            _handler = handler;
            _warp = IsWarpWide(handler);
            _models = models;
            _into = into;
            _reached = reached;
        }

        public void Walk(IOperation body, IMethodSymbol owner)
        {
            _checked.Add(owner.OriginalDefinition);
            _reached?.Add(owner.OriginalDefinition);
            _path.Add(owner.OriginalDefinition);
            foreach (IParameterSymbol parameter in owner.Parameters)
            {
                if (parameter.Type.IsReferenceType && parameter.Locations.FirstOrDefault() is { } where)
                {
                    Add(DiagnosticDescriptors.ReferenceTypeVariable, where, parameter.Name, parameter.Type.ToDisplayString());
                }

                // The handler's own parameter is VYR004's; a helper's must be 'ref' too.
                if (IsSlotContext(parameter.Type) && parameter.RefKind != RefKind.Ref && !SymbolEqualityComparer.Default.Equals(owner.OriginalDefinition, _handler.OriginalDefinition)
                    && parameter.Locations.FirstOrDefault() is { } copied)
                {
                    Add(DiagnosticDescriptors.SlotContextCopy, copied, owner.Name + "(" + parameter.Name + ")");
                }
            }

            if (IsSlotContext(owner.ReturnType) && !owner.ReturnsByRef && owner.Locations.FirstOrDefault() is { } returned)
            {
                Add(DiagnosticDescriptors.SlotContextCopy, returned, owner.Name);
            }

            foreach (IOperation operation in body.DescendantsAndSelf())
            {
                Check(operation);
            }

            _path.RemoveAt(_path.Count - 1);
        }

        private void Check(IOperation operation)
        {
            Location location = operation.Syntax.GetLocation();
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when declarator.Symbol.Type.IsReferenceType && !IsLocalArray(declarator.Initializer?.Value):
                    Add(DiagnosticDescriptors.ReferenceTypeVariable, location, declarator.Symbol.Name, declarator.Symbol.Type.ToDisplayString());
                    break;
                // A 'ref readonly' local copies too: the context's mutating members run on a hidden copy.
                case IVariableDeclaratorOperation declarator when IsSlotContext(declarator.Symbol.Type) && declarator.Symbol.RefKind != RefKind.Ref:
                    Add(DiagnosticDescriptors.SlotContextCopy, location, declarator.Symbol.Name);
                    break;
                case ISimpleAssignmentOperation { IsRef: false, Target: not IDiscardOperation } assignment when assignment.Target.Type is { } assigned && IsSlotContext(assigned):
                    Add(DiagnosticDescriptors.SlotContextCopy, location, assignment.Target.Syntax.ToString());
                    break;
                case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol pattern } when IsSlotContext(pattern.Type):
                    Add(DiagnosticDescriptors.SlotContextCopy, location, pattern.Name);
                    break;
                case IWithOperation or IConditionalOperation { IsRef: false } or ISwitchExpressionOperation when operation.Type is { } produced && IsSlotContext(produced):
                    Add(DiagnosticDescriptors.SlotContextCopy, location, operation.Syntax.ToString());
                    break;
                case ITupleOperation tuple when tuple.Elements.Any(e => e.Type is { } element && IsSlotContext(element)):
                    Add(DiagnosticDescriptors.SlotContextCopy, location, tuple.Syntax.ToString());
                    break;
                case IObjectCreationOperation creation when creation.Type?.IsReferenceType == true:
                    Add(DiagnosticDescriptors.HeapAllocation, location, creation.Type.ToDisplayString());
                    break;
                case IArrayCreationOperation array when !IsLocalArray(array):
                    Add(DiagnosticDescriptors.HeapAllocation, location, array.Type?.ToDisplayString() ?? "array");
                    break;
                case ILiteralOperation literal when literal.Type?.SpecialType == SpecialType.System_String && !InDebugAssert(literal) && !IsInlinePtx(literal):
                    Add(DiagnosticDescriptors.ManagedValue, location, "The string " + literal.Syntax);
                    break;
                case IInterpolatedStringOperation:
                    Add(DiagnosticDescriptors.ManagedValue, location, "An interpolated string");
                    break;
                case IConversionOperation conversion when conversion.GetConversion().IsBoxing:
                    Add(DiagnosticDescriptors.ManagedValue, location, "Boxing '" + conversion.Operand.Type?.ToDisplayString() + "' to '" + conversion.Type?.ToDisplayString() + "'");
                    break;
                case IDynamicInvocationOperation or IDynamicMemberReferenceOperation or IDynamicObjectCreationOperation or IDynamicIndexerAccessOperation:
                    Add(DiagnosticDescriptors.ManagedValue, location, "A 'dynamic' operation");
                    break;
                case ITryOperation:
                    Add(DiagnosticDescriptors.Exceptions, ((TryStatementSyntax)operation.Syntax).TryKeyword.GetLocation(), "try");
                    break;
                case IThrowOperation:
                    Add(DiagnosticDescriptors.Exceptions, location, "throw");
                    break;
                case IAnonymousFunctionOperation when operation.Parent is not IDelegateCreationOperation:
                case IDelegateCreationOperation:
                    Add(DiagnosticDescriptors.Delegates, location, "A lambda or delegate");
                    break;
                case ILocalFunctionOperation local when !local.Symbol.IsStatic && Captures(local):
                    Add(DiagnosticDescriptors.Delegates, local.Syntax is LocalFunctionStatementSyntax s ? s.Identifier.GetLocation() : location, "The non-static local function '" + local.Symbol.Name + "'");
                    break;
                case ITranslatedQueryOperation:
                    Add(DiagnosticDescriptors.Delegates, location, "A LINQ query");
                    break;
                case IFieldReferenceOperation field when field.Field.IsStatic && !field.Field.IsConst && !field.Field.IsReadOnly:
                    Add(DiagnosticDescriptors.StaticMutableField, location, field.Field.ContainingType.Name + "." + field.Field.Name);
                    break;
                case IInvocationOperation invocation:
                    CheckCall(invocation.TargetMethod, invocation.Instance, location);
                    break;

                // Members called without a call in the source: a struct's constructor, user-defined operators and
                // conversions, property setters. ILGPU compiles their bodies as it does any call's.
                case IObjectCreationOperation { Constructor: { } constructor, Type.IsValueType: true }:
                    CheckCall(constructor, null, location);
                    break;
                case IBinaryOperation { OperatorMethod: { } binary }:
                    CheckCall(binary, null, location);
                    break;
                case IUnaryOperation { OperatorMethod: { } unary }:
                    CheckCall(unary, null, location);
                    break;
                case IConversionOperation { OperatorMethod: { } conversion }:
                    CheckCall(conversion, null, location);
                    break;
                case IPropertyReferenceOperation { Parent: ISimpleAssignmentOperation assignment, Property.SetMethod: { } setter } written when assignment.Target == written:
                    CheckCall(setter, written.Instance, location);
                    break;
                case IPropertyReferenceOperation property when property.Property.GetMethod is { } getter:
                    CheckCall(getter, property.Instance, location);
                    break;
            }
        }

        private void CheckCall(IMethodSymbol target, IOperation? instance, Location location)
        {
            // A generic method given the context as a type argument takes or returns it as a T: by value.
            if (target.TypeArguments.Any(IsSlotContext) || target.ContainingType.TypeArguments.Any(IsSlotContext))
            {
                Add(DiagnosticDescriptors.SlotContextCopy, location, target.ContainingType.Name + "." + target.Name + "<SlotContext>");
                return;
            }

            target = target.OriginalDefinition;
            string name = target.ContainingType.Name + "." + target.Name;
            if (target.ContainingNamespace?.ToDisplayString() == "System.Linq")
            {
                Add(DiagnosticDescriptors.Delegates, location, "The LINQ call '" + name + "'");
                return;
            }

            if (s_groupTypes.Contains(target.ContainingType.ToDisplayString()))
            {
                Add(DiagnosticDescriptors.GroupOperation, location, name);
                return;
            }

            if (!_warp && IsGroupType(target.ContainingType))
            {
                Add(DiagnosticDescriptors.GroupInLaneHandler, location, name, _handler.Name);
                return;
            }

            if (_warp && IsSlotContext(target.ContainingType) && target.Name == "LoadMiss")
            {
                Add(DiagnosticDescriptors.LaneOnlyInGroupHandler, location, name, _handler.Name);
                return;
            }

            bool valueReceiver = instance?.Type?.IsValueType == true;
            bool constrainedToStruct = instance?.Type is ITypeParameterSymbol { HasValueTypeConstraint: true } or ITypeParameterSymbol { HasUnmanagedTypeConstraint: true };
            if (!constrainedToStruct && (target.IsAbstract || (target.IsVirtual && !valueReceiver) || (target.IsOverride && !valueReceiver) || target.ContainingType.TypeKind == TypeKind.Interface))
            {
                Add(DiagnosticDescriptors.VirtualCall, location, name);
                return;
            }

            if (!target.Locations.Any(l => l.IsInSource))
            {
                _reached?.Add(target);
                if (target.Parameters.Any(p => IsSlotContext(p.Type) && p.RefKind != RefKind.Ref) || (IsSlotContext(target.ReturnType) && !target.ReturnsByRef))
                {
                    Add(DiagnosticDescriptors.SlotContextCopy, location, target.ContainingType.ToDisplayString() + "." + target.Name);
                    return;
                }

                if (!IsCompilableLibraryMethod(target))
                {
                    Add(DiagnosticDescriptors.UnsupportedCall, location, target.ContainingType.ToDisplayString() + "." + target.Name);
                }

                return;
            }

            int onPath = _path.FindIndex(m => SymbolEqualityComparer.Default.Equals(m, target));
            if (onPath >= 0)
            {
                string cycle = string.Join(" -> ", _path.Skip(onPath).Append(target).Select(m => m.Name));
                Add(DiagnosticDescriptors.Recursion, location, _handler.Name, cycle);
                return;
            }

            if (_path.Count > MaxCallDepth || _checked.Contains(target))
            {
                return;
            }

            foreach (SyntaxReference reference in target.DeclaringSyntaxReferences)
            {
                SyntaxNode syntax = reference.GetSyntax();
                if (_models(syntax.SyntaxTree).GetOperation(syntax) is { } body)
                {
                    Walk(body, target);
                }
            }
        }

        /// <summary>Whether a non-static local function uses a local, parameter or 'this' of its enclosing method (then ILGPU would need a closure).</summary>
        private static bool Captures(ILocalFunctionOperation local) =>
            local.Body is { } body && body.DescendantsAndSelf().Any(o => o switch
            {
                ILocalReferenceOperation l => !SymbolEqualityComparer.Default.Equals(l.Local.ContainingSymbol, local.Symbol),
                IParameterReferenceOperation p => !SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, local.Symbol),
                IInstanceReferenceOperation => true,
                _ => false,
            });

        /// <summary>The PTX text given to <c>CudaAsm.Emit</c> (inline assembly, which ILGPU writes into the kernel; off CUDA the call is guarded by <c>CudaAsm.IsSupported</c>).</summary>
        private static bool IsInlinePtx(IOperation operation) =>
            operation.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { Name: "Emit", ContainingType: var type } } } && type.ToDisplayString() == "ILGPU.Runtime.Cuda.CudaAsm";

        /// <summary>A string the compiler wrote for a Debug.Assert call (its CallerArgumentExpression message), which ILGPU handles.</summary>
        private static bool InDebugAssert(IOperation operation)
        {
            for (IOperation? at = operation.Parent; at is not null; at = at.Parent)
            {
                if (at is IInvocationOperation { TargetMethod: { Name: "Assert", ContainingType: var type } } && type.ToDisplayString() == "System.Diagnostics.Debug")
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>new T[N]</c> with a constant N and an unmanaged T: ILGPU makes it a local array, no heap.</summary>
        private static bool IsLocalArray(IOperation? value) =>
            value is IArrayCreationOperation { Type: IArrayTypeSymbol { ElementType.IsUnmanagedType: true } } creation
            && creation.DimensionSizes.Length == 1 && creation.DimensionSizes[0].ConstantValue.HasValue;

        private void Add(DiagnosticDescriptor descriptor, Location location, params object?[] arguments) =>
            _into.Add(new RuleViolation(descriptor, location, arguments));
    }

    private static bool IsCompilableLibraryMethod(IMethodSymbol target)
    {
        if (IsUserLibrary(target.ContainingAssembly))
        {
            // The user's own library: its IL is judged by the build step with the handler (VYR120), located on the
            // handler's call when the library has no PDB. Refusing it here would refuse pure helpers ILGPU runs.
            return true;
        }

        string containing = target.ContainingType.ToDisplayString();
        if (s_vettedMembers.TryGetValue(containing, out string[]? vetted))
        {
            return vetted.Contains(target.Name);
        }

        // By metadata name: the display name of System.UInt32 is "uint".
        string metadataName = target.ContainingNamespace?.ToDisplayString() + "." + target.ContainingType.MetadataName;
        if (GpuRefusedMembers.IsRefused(metadataName, target.Name, target.Parameters.Length))
        {
            return false;
        }

        string? ns = target.ContainingNamespace?.ToDisplayString();
        if (ns is not null && s_allowedNamespaces.Any(a => ns == a || ns.StartsWith(a + ".", StringComparison.Ordinal)))
        {
            return true;
        }

        string type = target.ContainingType.ToDisplayString();
        if (s_allowedTypes.Contains(type))
        {
            return true;
        }

        // Arithmetic helpers on the primitive types (uint.RotateLeft, int.Max...), not their text members.
        return target.ContainingType.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_Double and not SpecialType.System_Decimal
            && target.ReturnType.SpecialType != SpecialType.System_String
            && target.Parameters.All(p => p.Type.SpecialType != SpecialType.System_String);
    }

    /// <summary>Whether <paramref name="assembly"/> is the user's own (not the framework, Vyre's or ILGPU's).</summary>
    private static bool IsUserLibrary(IAssemblySymbol? assembly) =>
        assembly is not null && !GpuRefusedMembers.IsPlatformAssembly(assembly.Identity.Name);

    private static Location? OpcodeLocation(AttributeData attribute) =>
        attribute.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax { ArgumentList.Arguments: { Count: > 0 } arguments }
            ? arguments[0].GetLocation()
            : null;
}

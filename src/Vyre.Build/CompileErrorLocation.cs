using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Vyre.Build;

/// <summary>
/// Where a failed compile points. ILGPU's exception carries no structured location: it is an
/// InternalCompilerException whose Message is "An internal compiler error has been detected" followed by the
/// CompilationStackLocation, one "- ..." line per frame, deepest frame first: "- in file 'F', line L column C[ to …]"
/// when the Context reads PDBs (DebugSymbolsMode >= Basic, which needs the reflection workaround in KernelCompiler),
/// else "- in method SIG declared in type T". The cause (NotSupportedException, …) is the InnerException.
/// </summary>
internal sealed partial record CompileErrorLocation(string? SourceLocation, string? Handler, string ViaFrames, string How)
{
    [GeneratedRegex(@"in file '(?<file>[^']+)', line (?<line>\d+) column (?<col>\d+)", RegexOptions.Multiline)]
    private static partial Regex FileLine();

    [GeneratedRegex(@"in method (?<sig>.+) declared in type (?<type>.+)$", RegexOptions.Multiline)]
    private static partial Regex MethodLine();

    [GeneratedRegex(@"^(- |An internal compiler error has been detected ).*(in file '|declared in type ).*$", RegexOptions.Multiline)]
    private static partial Regex AnyFrame();

    [GeneratedRegex(@"'([^'\s]+)'")]
    private static partial Regex Quoted();

    public static CompileErrorLocation From(Exception error, Type megakernel, PdbLocator pdb)
    {
        Assembly user = megakernel.Assembly;
        string text = string.Join("\n", Causes(error).Select(e => e.Message)).ReplaceLineEndings("\n");
        List<string> frames = AnyFrame().Matches(text).Select(m => m.Value).ToList();
        List<string> named = Quoted().Matches(Causes(error).Last().Message).Select(m => m.Groups[1].Value).ToList();

        // 0. An implicit try/finally ('using', 'lock', 'foreach' over an enumerator): ILGPU names the leave instruction at
        // the block's end; the statement that opened the protected region is the line to fix.
        if (named.Any(n => n.StartsWith("Leave", StringComparison.Ordinal) || n == "Endfinally") && FromProtectedRegion(megakernel, pdb) is CompileErrorLocation region)
        {
            return region;
        }

        // 1. ILGPU's own FileLocation frames: the deepest one in a source file of the user's assembly, generated files excluded.
        for (int i = 0; i < frames.Count; i++)
        {
            Match m = FileLine().Match(frames[i]);
            if (!m.Success)
            {
                continue;
            }

            string file = m.Groups["file"].Value;
            if (file.EndsWith(".g.cs", StringComparison.Ordinal) || (!pdb.HasDocument(file) && i + 1 < frames.Count))
            {
                continue;
            }

            int line = int.Parse(m.Groups["line"].Value);
            if (!pdb.HasDocument(file))
            {
                // A file of another assembly (a helper library): find the method there, then the handler that reaches it.
                if (FromForeignFile(file, line, megakernel, pdb) is CompileErrorLocation foreign)
                {
                    return foreign with { ViaFrames = foreign.ViaFrames + ViaText(frames.Take(i)) };
                }

                continue;
            }

            return new CompileErrorLocation($"{file}({line},{m.Groups["col"].Value})", pdb.MethodAt(file, line), ViaText(frames.Take(i)), "ILGPU FileLocation frame");
        }

        // 2. Method frames only: the deepest user method, the call in it to the next deeper frame, its IL offset, the PDB.
        var methods = frames.Select(f => MethodLine().Match(f)).Where(m => m.Success).Select(m => (Sig: m.Groups["sig"].Value.Trim(), Type: m.Groups["type"].Value.Trim())).ToList();
        for (int i = 0; i < methods.Count; i++)
        {
            MethodBase? caller = Resolve(user, methods[i].Type, methods[i].Sig);
            if (caller is null || caller.DeclaringType!.Name == "Dispatcher")
            {
                continue;
            }

            string handler = caller.DeclaringType.Name + "." + caller.Name;
            if (i == 0)
            {
                return FromNamedMember(named, megakernel, pdb)
                    ?? new CompileErrorLocation(pdb.Locate(caller, 0), handler, "", "failing instruction in the user method itself; no offset in the message: first line");
            }

            (string calleeSig, string calleeType) = methods[i - 1];
            foreach (int offset in PdbLocator.CallSites(caller, t => t.DeclaringType?.FullName == calleeType && t.ToString() == calleeSig))
            {
                string? where = pdb.Locate(caller, offset);
                if (where is not null)
                {
                    return new CompileErrorLocation(where, handler, ViaText(frames.Take(i)), $"SRM: call to {calleeType}.{Name(calleeSig)} at IL_{offset:X4} in {caller.Name} -> PDB sequence point");
                }
            }
        }

        return FromNamedMember(named, megakernel, pdb) ?? new CompileErrorLocation(null, null, ViaText(frames), "unlocated");
    }

    /// <summary>
    /// The message names what failed ('SinF' for Math.Sin, 'Corpus.U' for a type, 'BitCast'...) but no line: the first
    /// instruction in a handler, or in a method of the user's a handler calls, that refers to a member of that name
    /// (ILGPU's maths intrinsics are the method's name with 'F'), or to that type or its fields.
    /// </summary>
    private static CompileErrorLocation? FromNamedMember(List<string> names, Type megakernel, PdbLocator pdb)
    {
        if (names.Count == 0)
        {
            return null;
        }

        bool Matches(MemberInfo member) => names.Any(n => member switch
        {
            Type type => type.FullName == n,
            FieldInfo field => field.DeclaringType?.FullName == n,
            MethodBase method => method.Name == n || method.Name + "F" == n || method.DeclaringType?.FullName == n,
            _ => false,
        });

        foreach (MethodBase method in HandlersAndTheirCallees(megakernel))
        {
            foreach (int offset in PdbLocator.TokenSites(method, Matches))
            {
                if (pdb.Locate(method, offset) is string where)
                {
                    return new CompileErrorLocation(where, megakernel.Name + "." + HandlerOf(method, megakernel), "", $"the message names '{string.Join("', '", names)}'; IL_{offset:X4} in {method.Name} refers to it");
                }
            }
        }

        // A helper in another assembly refers to it: the handler's call that leads there is the user's line.
        foreach (MethodInfo handler in Handlers(megakernel))
        {
            foreach (int offset in PdbLocator.CallSites(handler, callee => callee.Module != megakernel.Module && RefersTo(callee, Matches, 8, [])))
            {
                if (pdb.Locate(handler, offset) is string where)
                {
                    return new CompileErrorLocation(where, megakernel.Name + "." + handler.Name, "", $"the message names '{string.Join("', '", names)}'; a method of another assembly called at IL_{offset:X4} in {handler.Name} refers to it");
                }
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="method"/>, or a method it calls within <paramref name="depth"/> calls, has a token <paramref name="matches"/> accepts.</summary>
    private static bool RefersTo(MethodBase method, Func<MemberInfo, bool> matches, int depth, HashSet<MethodBase> seen) =>
        seen.Add(method)
        && (PdbLocator.TokenSites(method, matches).Any()
            || (depth > 0 && PdbLocator.CallSites(method, callee => RefersTo(callee, matches, depth - 1, seen)).Any()));

    /// <summary>The statement before the first protected region of a handler (or a method it calls): the 'using', 'lock' or 'foreach' that made it.</summary>
    private static CompileErrorLocation? FromProtectedRegion(Type megakernel, PdbLocator pdb)
    {
        foreach (MethodBase method in HandlersAndTheirCallees(megakernel))
        {
            if (method.GetMethodBody()?.ExceptionHandlingClauses.OrderBy(c => c.TryOffset).FirstOrDefault() is ExceptionHandlingClause clause
                && pdb.Locate(method, Math.Max(clause.TryOffset - 1, 0)) is string where)
            {
                return new CompileErrorLocation(where, megakernel.Name + "." + HandlerOf(method, megakernel),
                    " (an implicit try/finally: 'using', 'lock' or 'foreach' over an enumerator, which a GPU kernel cannot run)", $"protected region at IL_{clause.TryOffset:X4} in {method.Name}");
            }
        }

        return null;
    }

    /// <summary>The megakernel's handlers, then the methods of the user's assembly each calls directly.</summary>
    private static IEnumerable<MethodBase> HandlersAndTheirCallees(Type megakernel)
    {
        MethodInfo[] handlers = Handlers(megakernel).ToArray();
        var seen = new HashSet<MethodBase>(handlers);
        foreach (MethodInfo handler in handlers)
        {
            yield return handler;
        }

        foreach (MethodInfo handler in handlers)
        {
            foreach (MethodBase callee in PdbLocator.Callees(handler).Where(c => c.Module == megakernel.Module && seen.Add(c)).ToList())
            {
                yield return callee;
            }
        }
    }

    /// <summary>The megakernel's [OpcodeHandler] methods.</summary>
    private static IEnumerable<MethodInfo> Handlers(Type megakernel) =>
        megakernel.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(h => h.GetCustomAttributesData().Any(x => x.AttributeType.FullName == "Vyre.OpcodeHandlerAttribute"));

    private static string HandlerOf(MethodBase method, Type megakernel) => method.DeclaringType == megakernel ? method.Name : method.DeclaringType?.Name + "." + method.Name;

    /// <summary>
    /// The error names a line in another assembly and no frame of the user's: find the method at that line through that
    /// assembly's PDB, then walk the static call graph (IL call/callvirt/newobj, resolved by reflection) from every
    /// [OpcodeHandler] of the megakernel to it; the first edge out of the handler is the user's line.
    /// </summary>
    private static CompileErrorLocation? FromForeignFile(string file, int line, Type megakernel, PdbLocator pdb)
    {
        var alc = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(megakernel.Assembly)!;
        foreach (Assembly a in alc.Assemblies.Where(a => !string.IsNullOrEmpty(a.Location)))
        {
            using var other = new PdbLocator(a.Location);
            if (!other.HasDocument(file) || other.MethodTokenAt(file, line) is not int token)
            {
                continue;
            }

            MethodBase target = a.ManifestModule.ResolveMethod(token)!;
            foreach (MethodInfo handler in Handlers(megakernel))
            {
                foreach (int offset in PdbLocator.CallSites(handler, callee => Reaches(callee, target, 8, [])))
                {
                    return new CompileErrorLocation(pdb.Locate(handler, offset), megakernel.Name + "." + handler.Name, $" via {Path.GetFileName(file)}({line}) in {target.DeclaringType!.Name}.{target.Name}",
                        $"ILGPU FileLocation in {a.GetName().Name}; handler found by call-graph walk (IL_{offset:X4} in {handler.Name})");
                }
            }
        }

        return null;
    }

    private static bool Reaches(MethodBase from, MethodBase target, int depth, HashSet<MethodBase> seen)
    {
        if (from == target || (from.Module == target.Module && from.MetadataToken == target.MetadataToken))
        {
            return true;
        }

        if (depth == 0 || !seen.Add(from))
        {
            return false;
        }

        return PdbLocator.CallSites(from, callee => Reaches(callee, target, depth - 1, seen)).Any();
    }

    private static string ViaText(IEnumerable<string> deeper)
    {
        var parts = deeper.Reverse().Select(f =>
        {
            Match fm = FileLine().Match(f);
            if (fm.Success)
            {
                return $"{Path.GetFileName(fm.Groups["file"].Value)}({fm.Groups["line"].Value},{fm.Groups["col"].Value})";
            }

            Match mm = MethodLine().Match(f);
            return mm.Success ? Short(mm.Groups["type"].Value.Trim()) + "." + Name(mm.Groups["sig"].Value) : f;
        }).ToList();
        return parts.Count == 0 ? "" : " via " + string.Join(" -> ", parts);
    }

    private static MethodBase? Resolve(Assembly user, string type, string sig)
    {
        Type? t = user.GetType(type);
        return t?.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance).FirstOrDefault(m => m.ToString() == sig);
    }

    private static IEnumerable<Exception> Causes(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }

    private static string Name(string sig)
    {
        int paren = sig.IndexOf('(');
        string head = paren < 0 ? sig : sig[..paren];
        return head[(head.LastIndexOf(' ') + 1)..];
    }

    private static string Short(string type) => type[(type.LastIndexOfAny(['.', '+']) + 1)..];
}

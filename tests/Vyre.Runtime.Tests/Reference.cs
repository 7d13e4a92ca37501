using System;

namespace Vyre.Runtime.Tests;

/// <summary>Plain C# versions of what the test handlers compute.</summary>
internal static class Reference
{
    public static uint Fnv1a(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}

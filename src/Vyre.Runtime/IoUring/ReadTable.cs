using System;
using System.Collections.Generic;

namespace Vyre.IoUring;

/// <summary>
/// How the io loops (streaming, LOAD_MISS) name their reads in flight: a read in slot <c>i</c> of the
/// loop's table carries user_data <c>i + 1</c>, so completions are matched by user_data, never by order.
/// </summary>
internal static class ReadTable
{
    /// <summary>The user_data of the read in table slot <paramref name="index"/>.</summary>
    public static ulong UserData(int index) => (ulong)index + 1;

    /// <summary>The table slot a completion's user_data names.</summary>
    public static int Index(ulong userData) => (int)userData - 1;

    /// <summary>The user_data of every table slot that <paramref name="inFlight"/> says holds a read.</summary>
    public static ulong[] InFlight(int length, Func<int, bool> inFlight)
    {
        var found = new List<ulong>();
        for (int i = 0; i < length; i++)
        {
            if (inFlight(i))
            {
                found.Add(UserData(i));
            }
        }

        return [.. found];
    }
}

using NUnit.Framework;

namespace Vyre.Scan.Tests;

/// <summary>The walk compiled before a CPU scan starts (<see cref="ScanWarmUp"/>).</summary>
public sealed class ScanWarmUpTests
{
    /// <summary>The walk's methods are found by their flag, not by name: a rename or a lost flag would leave the warm-up empty.</summary>
    [Test]
    public void The_warm_up_compiles_the_chunk_handler_the_walk_and_the_stats()
    {
        // ChunkStats, WalkRange, Stats, Hash, ChunkScan.Rest: five today; at least the handler, the walk and its rest.
        Assert.That(ScanWarmUp.Prepare(), Is.GreaterThanOrEqualTo(3));
    }
}

using NUnit.Framework;
using Vyre.Build;

namespace Vyre.Generators.Tests;

/// <summary>The build step's check for PTX that ILGPU writes and the driver refuses (<see cref="PtxDefects"/>).</summary>
public sealed class PtxDefectTests
{
    [Test]
    public void A_vector_of_predicates_is_found_with_its_line_and_a_fix()
    {
        // What ILGPU 1.5 wrote for two bool fields side by side in SlotContext (ptxas: "Arguments mismatch for instruction 'ld'").
        const string ptx = ".version 7.8\n.target sm_80\n\tld.b32\t%r165, [%rd6+104];\n\tld.v2.b8\t{%p69, %p70}, [%rd6+200];\n";
        string? defect = PtxDefects.Find(ptx);
        Assert.That(defect, Does.Contain("line 4").And.Contain("ld.v2.b8").And.Contain("Fix:"));
        Assert.That(PtxDefects.Find("\tst.local.v2.b8\t[%rd8+200], {1, %p70};\n"), Is.Not.Null, "the store of the same pair");
    }

    [Test]
    public void Vectors_of_bytes_and_words_pass()
    {
        const string ptx = "\tld.v2.b8\t{%rs1, %rs2}, [%rd1];\n\tld.v2.b32\t{%r163, %r164}, [%rd6+96];\n\tst.local.v2.b32\t[%rd8+96], {%r163, 0};\n\tsetp.ne.u32\t%p68, %r188, 0;\n";
        Assert.That(PtxDefects.Find(ptx), Is.Null);
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Vyre.Scan;

/// <summary>How a rule is shown: its text when it is printable UTF-8, else <c>hex:</c> and its bytes.</summary>
internal sealed class RuleNames(IReadOnlyList<byte[]> rules)
{
    private static readonly UTF8Encoding s_strict = new(false, true);

    public int Count => rules.Count;

    public string this[int rule] => Name(rules[rule]);

    private static string Name(byte[] rule)
    {
        try
        {
            string text = s_strict.GetString(rule);
            if (!text.Any(char.IsControl) && !text.StartsWith("hex:", StringComparison.Ordinal) && text.Trim().Length == text.Length)
            {
                return text;
            }
        }
        catch (DecoderFallbackException)
        {
        }

        return "hex:" + Convert.ToHexStringLower(rule);
    }
}

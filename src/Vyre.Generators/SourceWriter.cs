using System;
using System.Text;

namespace Vyre.Generators;

/// <summary>An indented text writer for generated C#; <see cref="Block"/> opens a brace block closed on dispose.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
        return this;
    }

    public BlockScope Block(string? header = null)
    {
        if (header is not null)
        {
            Line(header);
        }

        Line("{");
        _indent++;
        return new BlockScope(this);
    }

    public override string ToString() => _text.ToString();

    internal readonly struct BlockScope : IDisposable
    {
        private readonly SourceWriter _writer;

        public BlockScope(SourceWriter writer) => _writer = writer;

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line("}");
        }
    }
}

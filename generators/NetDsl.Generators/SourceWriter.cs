using System;
using System.Text;

namespace NetDsl.Generators;

/// <summary>Writes C# source with indentation (after the runtime's <c>SourceWriter</c> used by System.Text.Json's generator).</summary>
internal sealed class SourceWriter
{
    private const int IndentSize = 4;
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void WriteLine() => _builder.Append('\n');

    /// <summary>Writes each line of <paramref name="text"/> at the current indentation.</summary>
    public void WriteLine(string text)
    {
        foreach (string line in text.Split('\n'))
        {
            string trimmed = line.TrimEnd('\r');
            if (trimmed.Length > 0)
                _builder.Append(' ', _indent * IndentSize).Append(trimmed);
            _builder.Append('\n');
        }
    }

    public void OpenIndent() => _indent++;

    public void CloseIndent() => _indent--;

    public void OpenBlock()
    {
        WriteLine("{");
        _indent++;
    }

    public void CloseBlock(string suffix = "")
    {
        _indent--;
        WriteLine("}" + suffix);
    }

    /// <summary>Writes a block: <paramref name="header"/>, braces, and the body written by <paramref name="body"/>.</summary>
    public void Block(string header, Action body)
    {
        if (header.Length > 0)
            WriteLine(header);
        OpenBlock();
        body();
        CloseBlock();
    }

    public override string ToString() => _builder.ToString();
}

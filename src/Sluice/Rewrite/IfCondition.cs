using System.Text.RegularExpressions;
using Sluice.Variables;

namespace Sluice.Rewrite;

/// <summary>The condition of an <c>if</c> block, one of nginx's four forms.</summary>
public abstract record IfCondition;

/// <summary><c>if ($var)</c>: true unless the value is empty or "0".</summary>
public sealed record VariableIsTrue(string Variable) : IfCondition;

/// <summary><c>if ($var = value)</c> / <c>if ($var != value)</c>.</summary>
public sealed record VariableEquals(string Variable, VariableTemplate Value, bool Negated) : IfCondition;

/// <summary><c>~</c>, <c>~*</c>, <c>!~</c>, <c>!~*</c>; the captures of a match are available to the block.</summary>
public sealed record VariableMatches(string Variable, Regex Pattern, bool Negated) : IfCondition;

/// <summary>What a file test checks.</summary>
public enum FileTestKind
{
    /// <summary><c>-f</c>: a regular file.</summary>
    File,

    /// <summary><c>-d</c>: a directory.</summary>
    Directory,

    /// <summary><c>-e</c>: a file, directory or link.</summary>
    Exists,

    /// <summary><c>-x</c>: an executable file.</summary>
    Executable,
}

/// <summary><c>-f</c>, <c>-d</c>, <c>-e</c>, <c>-x</c> and their <c>!</c> forms on a path.</summary>
public sealed record FileTest(FileTestKind Kind, bool Negated, VariableTemplate Path) : IfCondition;

using System.Collections.Immutable;
using Sluice.Configuration;
using Sluice.Configuration.Directives;
using Sluice.Configuration.Syntax;
using Sluice.Http.Configuration;
using Sluice.Variables;
using static Sluice.Configuration.Directives.DirectiveArity;

namespace Sluice.SplitClients;

/// <summary>nginx's <c>ngx_http_split_clients_module</c>: <c>split_clients "$source" $variable { 10% a; * b; }</c>.</summary>
internal static class SplitClientsDirectives
{
    private const uint HundredPercent = 10000;

    public static void Register(DirectiveTable table) =>
        table.Add(new DirectiveSpec("split_clients", DirectiveContext.Http, Block | Take2, SplitClientsBlock, DirectiveSupport.NotImplemented) { Module = "http_split_clients" });

    private static void SplitClientsBlock(DirectiveCall call)
    {
        var source = call.Template(call.Args[0]);
        var name = call.Args[1];
        if (!name.StartsWith('$'))
        {
            throw call.Error($"invalid variable name \"{name}\"");
        }

        call.Http().Variables.DefineChangeable(name[1..], call.Location);

        var parts = new List<(uint Percent, string Value)>();
        FreeformBlock.Read(call.Directive.Block ?? [], statement => parts.Add(ParsePart(statement)));

        // Checked once the block is read, so nginx reports it at the closing brace.
        var end = call.Directive.BlockEnd ?? call.Location;
        var buckets = ImmutableArray.CreateBuilder<SplitClientsBucket>();
        ulong sum = 0;
        ulong last = 0;
        foreach (var (percent, value) in parts)
        {
            sum = percent == 0 ? HundredPercent : sum + percent;
            if (sum > HundredPercent)
            {
                throw new ConfigException("percent total is greater than 100%", end);
            }

            if (percent != 0)
            {
                last += percent * (ulong)uint.MaxValue / HundredPercent;
            }

            // "*" keeps the running bound: it takes every hash at or above the previous parts.
            buckets.Add(new SplitClientsBucket(percent == 0 ? null : (uint)last, value));
        }

        call.Compiler.State<SplitClientsConfState>().Splits.Add(new SplitClientsDefinition(name[1..].ToLowerInvariant(), source, buckets.ToImmutable(), call.Location));
    }

    /// <summary>
    /// <c>N%</c> with at most two decimals (nginx's <c>ngx_atofp(…, 2)</c>, so <c>0.5%</c> is 50 hundredths of a percent),
    /// or <c>*</c> (0). nginx does not check the word count: a line without a value yields an empty one here.
    /// </summary>
    private static (uint Percent, string Value) ParsePart(ConfigDirective statement)
    {
        var value = statement.Args.IsEmpty ? "" : statement.Args[0];
        var word = statement.Name;
        if (word == "*")
        {
            return (0, value);
        }

        if (!word.EndsWith('%') || !TryParseHundredths(word.AsSpan(0, word.Length - 1), out var hundredths) || hundredths == 0)
        {
            throw new ConfigException($"invalid percent value \"{word}\"", statement.Location);
        }

        // nginx stores the share in 32 bits; a huge one wraps (and may even become "*") rather than fail.
        return ((uint)hundredths, value);
    }

    private static bool TryParseHundredths(ReadOnlySpan<char> text, out long hundredths)
    {
        const long cutoff = long.MaxValue / 10;
        hundredths = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        var decimals = -1;
        foreach (var c in text)
        {
            if (decimals == 2)
            {
                return false;
            }

            if (c == '.')
            {
                if (decimals >= 0)
                {
                    return false;
                }

                decimals = 0;
                continue;
            }

            if (c is < '0' or > '9' || hundredths > cutoff || (hundredths == cutoff && c - '0' > long.MaxValue % 10))
            {
                return false;
            }

            hundredths = (hundredths * 10) + (c - '0');
            decimals = decimals >= 0 ? decimals + 1 : decimals;
        }

        for (var i = Math.Max(decimals, 0); i < 2; i++)
        {
            if (hundredths > cutoff)
            {
                return false;
            }

            hundredths *= 10;
        }

        return true;
    }
}

/// <summary>
/// A compiled <c>split_clients</c>: the MurmurHash2 of <see cref="Source"/> picks the first bucket whose
/// <see cref="SplitClientsBucket.UpperBound"/> is above the hash; a bucket without a bound (<c>*</c>) takes the rest.
/// No match means an empty value.
/// </summary>
public sealed record SplitClientsDefinition(string Variable, VariableTemplate Source, ImmutableArray<SplitClientsBucket> Buckets, SourceLocation Location);

/// <summary>One line: the cumulative hash bound (exclusive) of its share, null for <c>*</c>, and its value.</summary>
public readonly record struct SplitClientsBucket(uint? UpperBound, string Value);

/// <summary>Every <c>split_clients</c> of one configuration load, in definition order.</summary>
public sealed class SplitClientsConfState
{
    public List<SplitClientsDefinition> Splits { get; } = [];
}

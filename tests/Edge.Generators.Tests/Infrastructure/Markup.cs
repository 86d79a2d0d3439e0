using Microsoft.CodeAnalysis.Text;

namespace Edge.Generators.Tests.Infrastructure;

/// <summary>Source with one <c>[|...|]</c> span marking where a diagnostic is expected.</summary>
internal static class Markup
{
    public static (string Source, TextSpan Span) Parse(string markup)
    {
        var start = markup.IndexOf("[|", StringComparison.Ordinal);
        var end = markup.IndexOf("|]", StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            throw new ArgumentException("Markup needs one [|...|] span.", nameof(markup));
        }

        var source = markup[..start] + markup[(start + 2)..end] + markup[(end + 2)..];
        return (source, TextSpan.FromBounds(start, end - 2));
    }
}

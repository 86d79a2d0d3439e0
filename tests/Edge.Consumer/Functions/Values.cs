using Edge.Runtime;

namespace Edge.Consumer.Functions;

/// <summary>Functions over the remaining built-in JSON types; more than four arguments and spans are JSON-only.</summary>
public static class Values
{
    [EdgeFunction("describe")]
    public static string Describe(Guid id, DateTimeOffset at, TimeSpan span, char grade, decimal amount, long? limit = null, Level[]? levels = null) =>
        string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{id:N}|{at:O}|{span:c}|{grade}|{amount}|{limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}|{(levels is null ? "none" : string.Join('+', levels))}");

    [EdgeFunction("window-average")]
    public static double? WindowAverage(ReadOnlySpan<double> window)
    {
        if (window.IsEmpty)
        {
            return null;
        }

        double sum = 0;
        foreach (var value in window)
        {
            sum += value;
        }

        return sum / window.Length;
    }
}

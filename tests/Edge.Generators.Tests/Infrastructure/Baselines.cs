using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Edge.Generators.Tests.Infrastructure;

/// <summary>
/// Checked-in expected output: Baselines/{Test}/{HintName}.txt, compared by file list and content. Set
/// EDGE_UPDATE_BASELINES=1 to rewrite them from the current generator (then review the diff).
/// </summary>
internal static class Baselines
{
    public static bool Updating => Environment.GetEnvironmentVariable("EDGE_UPDATE_BASELINES") == "1";

    /// <summary>Differences between the run's generated files and the baseline; empty when they match.</summary>
    public static IReadOnlyList<string> Compare(string test, GeneratorRunResult result) => Compare(test, result, Root());

    private static IReadOnlyList<string> Compare(string test, GeneratorRunResult result, string root)
    {
        var directory = Path.Combine(root, test);
        var actual = result.GeneratedSources.ToDictionary(s => s.HintName + ".txt", s => Normalize(s.SourceText.ToString()), StringComparer.Ordinal);
        if (Updating)
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(directory);
            foreach (var (name, text) in actual)
            {
                File.WriteAllText(Path.Combine(directory, name), text);
            }

            return [];
        }

        var problems = new List<string>();
        var expected = Directory.Exists(directory)
            ? Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), f => Normalize(File.ReadAllText(f)), StringComparer.Ordinal)
            : [];
        foreach (var name in expected.Keys.Except(actual.Keys).Order(StringComparer.Ordinal))
        {
            problems.Add($"{test}/{name}: expected but not generated");
        }

        foreach (var name in actual.Keys.Except(expected.Keys).Order(StringComparer.Ordinal))
        {
            problems.Add($"{test}/{name}: generated but has no baseline (run with EDGE_UPDATE_BASELINES=1)");
        }

        foreach (var name in actual.Keys.Intersect(expected.Keys).Order(StringComparer.Ordinal))
        {
            if (actual[name] != expected[name])
            {
                problems.Add($"{test}/{name}: differs from the baseline at line {FirstDifference(actual[name], expected[name])}");
            }
        }

        return problems;
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static int FirstDifference(string actual, string expected)
    {
        var a = actual.Split('\n');
        var e = expected.Split('\n');
        for (var i = 0; i < Math.Min(a.Length, e.Length); i++)
        {
            if (a[i] != e[i])
            {
                return i + 1;
            }
        }

        return Math.Min(a.Length, e.Length) + 1;
    }

    private static string Root([CallerFilePath] string path = "") =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(path)!)!, "Baselines");
}

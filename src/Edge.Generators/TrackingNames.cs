namespace Edge.Generators;

/// <summary>Names of the tracked pipeline steps; the caching tests look them up.</summary>
internal static class TrackingNames
{
    public const string Functions = nameof(Functions);
    public const string Collected = nameof(Collected);
    public const string Assembly = nameof(Assembly);
    public const string Table = nameof(Table);
}

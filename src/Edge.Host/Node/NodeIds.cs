namespace Edge.Host.Node;

/// <summary>
/// The one rule for node ids, used by the CLI, the registry API and MQTT alike: an id is an MQTT topic level, so it
/// is 1-128 characters with none of '/', '+', '#', no control characters and no surrounding white space.
/// </summary>
public static class NodeIds
{
    /// <summary>The longest node id.</summary>
    public const int MaxLength = 128;

    /// <summary>Null when <paramref name="id"/> is a valid node id, else an English sentence saying why not.</summary>
    public static string? Validate(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "a node id must not be empty";
        }

        if (id.Length > MaxLength)
        {
            return $"a node id has at most {MaxLength} characters (this one has {id.Length})";
        }

        if (id.AsSpan().IndexOfAny("/+#") >= 0 || id.Any(char.IsControl) || id.Trim().Length != id.Length)
        {
            return $"node id '{id}' must not contain '/', '+', '#' or control characters, nor start or end with white space (it is an MQTT topic level)";
        }

        return null;
    }
}

namespace Edge.Runtime;

/// <summary>C#-style type names for error messages, e.g. <c>Func&lt;Double[], Stats&gt;</c>.</summary>
internal static class TypeNames
{
    public static string Describe(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return (tick < 0 ? name : name[..tick]) + "<" + string.Join(", ", type.GenericTypeArguments.Select(Describe)) + ">";
    }
}

/// <summary>Adapts a void task to a typed call's result (<c>default</c>).</summary>
internal static class VoidResult
{
    public static ValueTask<TResult> Of<TResult>(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return new ValueTask<TResult>(default(TResult)!);
        }

        return Await(task);

        static async ValueTask<TResult> Await(ValueTask task)
        {
            await task.ConfigureAwait(false);
            return default!;
        }
    }
}

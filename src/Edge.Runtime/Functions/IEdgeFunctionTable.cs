namespace Edge.Runtime;

/// <summary>
/// An assembly's generated function table as a value: what <c>EdgeFunctionTable.Instance</c> is.
/// </summary>
/// <remarks>
/// The generator emits <c>EdgeFunctionTable</c> as a static class, and a static class can neither be passed as an
/// argument nor implement an interface. This interface lets a host take "the consumer's functions" as one argument
/// (<c>EdgeHost.RunAsync(args, EdgeFunctionTable.Instance)</c>) without reflection or assembly scanning, which Native
/// AOT would not allow. The generated implementation forwards to the static members, so both spell the same table.
/// </remarks>
public interface IEdgeFunctionTable
{
    /// <summary>Build-time metadata of every function, ordered by id (the static <c>EdgeFunctionTable.Descriptors</c>).</summary>
    /// <remarks>A host lists and validates the functions from this before it deploys anything.</remarks>
    IReadOnlyList<EdgeFunctionDescriptor> Descriptors { get; }

    /// <summary>
    /// Deploys every function of the table into <paramref name="runtime"/>; a function with the same id is replaced
    /// (the static <c>EdgeFunctionTable.DeployAll</c>).
    /// </summary>
    /// <remarks>One call, so a host need not know how each function's delegate and JSON entry point are built.</remarks>
    /// <param name="runtime">The runtime to deploy into.</param>
    /// <exception cref="ArgumentNullException"><paramref name="runtime"/> is null.</exception>
    void DeployAll(EdgeRuntime runtime);
}

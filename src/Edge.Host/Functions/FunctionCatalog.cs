using Edge.Runtime;

namespace Edge.Host.Functions;

/// <summary>
/// The functions compiled into this binary: the generated table's descriptors, and deployable <see cref="EdgeFunction"/>s
/// (kept in a private runtime so a deployment intent can bring back one function by id after an undeploy).
/// </summary>
public sealed class FunctionCatalog
{
    private readonly EdgeRuntime _staging = new(new EdgeNode("catalog", "catalog"));

    /// <summary>The catalog of a generated function table.</summary>
    public FunctionCatalog(IEdgeFunctionTable table)
        : this((table ?? throw new ArgumentNullException(nameof(table))).Descriptors, table.DeployAll)
    {
    }

    public FunctionCatalog(IReadOnlyList<EdgeFunctionDescriptor> descriptors, Action<EdgeRuntime> deployAll)
    {
        ArgumentNullException.ThrowIfNull(deployAll);
        Descriptors = descriptors ?? throw new ArgumentNullException(nameof(descriptors));
        deployAll(_staging);
    }

    public IReadOnlyList<EdgeFunctionDescriptor> Descriptors { get; }

    /// <summary>The longest timeout of any function: how long a graceful shutdown may wait for in-flight calls.</summary>
    public TimeSpan LongestTimeout =>
        TimeSpan.FromSeconds(_staging.ListFunctions().Select(f => f.TimeoutSeconds).DefaultIfEmpty(1).Max());

    /// <summary>The deployable function with <paramref name="id"/>, or null.</summary>
    public EdgeFunction? Find(string id) => _staging.GetFunction(id);

    /// <summary>Deploys every function into <paramref name="runtime"/>.</summary>
    public void DeployAll(EdgeRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        foreach (var function in _staging.ListFunctions())
        {
            runtime.Deploy(function);
        }
    }
}

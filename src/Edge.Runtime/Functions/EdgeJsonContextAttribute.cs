namespace Edge.Runtime;

/// <summary>
/// Names the source-generated <c>System.Text.Json.Serialization.JsonSerializerContext</c> through which the generated
/// EdgeFunctionTable binds parameters and writes results of the assembly's own types. Each such type must be listed on
/// that context with <c>[JsonSerializable(typeof(T))]</c>; the generator reports EDGE006/EDGE007 otherwise.
/// </summary>
/// <example><code>[assembly: EdgeJsonContext(typeof(SensorJsonContext))]</code></example>
/// <param name="contextType">The context type (a partial class deriving from JsonSerializerContext).</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public sealed class EdgeJsonContextAttribute(Type contextType) : Attribute
{
    /// <summary>The context type.</summary>
    public Type ContextType { get; } = contextType;
}

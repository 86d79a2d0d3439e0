using System.Buffers;

namespace Edge.Runtime;

/// <summary>
/// The JSON entry point of a function: reads a UTF-8 JSON object of arguments keyed by parameter name and writes the
/// UTF-8 JSON result (nothing for a void function). The generator emits one per <see cref="EdgeFunctionAttribute"/> method.
/// </summary>
/// <exception cref="EdgeBindingException">The arguments do not fit the function's parameters.</exception>
public delegate ValueTask EdgeJsonHandler(
    ReadOnlyMemory<byte> utf8Arguments,
    IBufferWriter<byte> utf8Result,
    CancellationToken cancellationToken);

/// <summary>A function deployable to edge nodes.</summary>
/// <param name="id">Unique id within a runtime.</param>
/// <param name="name">Display name.</param>
/// <param name="handler">
/// The code to run: a <see cref="Func{TResult}"/>-family delegate, optionally taking a trailing
/// <see cref="CancellationToken"/> (cancelled at the timeout) and optionally returning <see cref="ValueTask{TResult}"/>
/// or <see cref="Task{TResult}"/>; <see cref="Action"/>-family and non-generic task delegates for void functions.
/// </param>
public sealed class EdgeFunction(string id, string name, Delegate handler)
{
    /// <summary>Unique id within a runtime.</summary>
    public string Id { get; } = string.IsNullOrWhiteSpace(id)
        ? throw new ArgumentException("Function id must not be empty.", nameof(id))
        : id;

    /// <summary>Display name.</summary>
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>The code to run.</summary>
    public Delegate Handler { get; } = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <summary>Memory budget in MiB (&gt; 0; default 128).</summary>
    public int MemoryMb
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, 0, nameof(MemoryMb));
            field = value;
        }
    } = 128;

    /// <summary>Deadline in seconds (&gt; 0; default 30). Enforced by <see cref="EdgeRuntime"/>.</summary>
    public int TimeoutSeconds
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, 0, nameof(TimeoutSeconds));
            field = value;
        }
    } = 30;

    /// <summary>The deadline as a <see cref="TimeSpan"/>.</summary>
    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    /// <summary>Environment variables for the function.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Capabilities a node must have to run it.</summary>
    public IReadOnlyList<string> RequiredCapabilities { get; init; } = [];

    /// <summary>The JSON entry point, when the function has one (generated functions always do).</summary>
    public EdgeJsonHandler? JsonHandler { get; init; }

    /// <summary>True when <paramref name="node"/> has every required capability.</summary>
    public bool CanRunOn(EdgeNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        // Indexed, not foreach: enumerating through the interface allocates, and DeployToAll asks once per node.
        var required = RequiredCapabilities;
        for (var i = 0; i < required.Count; i++)
        {
            if (!node.HasCapability(required[i]))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Marks a static method as an edge function; the Edge.Generators source generator turns it into a dispatch table entry.</summary>
/// <param name="id">Unique id within the assembly: letters, digits, '-', '_' and '.'.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class EdgeFunctionAttribute(string id) : Attribute
{
    /// <summary>The function id.</summary>
    public string Id { get; } = id;

    /// <summary>Display name; the method name when null.</summary>
    public string? Name { get; set; }

    /// <summary>Memory budget in MiB.</summary>
    public int MemoryMb { get; set; } = 128;

    /// <summary>Deadline in seconds.</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Capabilities a node must have.</summary>
    public string[] RequiredCapabilities { get; set; } = [];
}

/// <summary>A parameter of a generated function.</summary>
/// <param name="Name">The parameter name (the JSON argument key).</param>
/// <param name="Type">The C# type, fully qualified.</param>
public sealed record EdgeParameterDescriptor(string Name, string Type);

/// <summary>Build-time metadata of a generated function.</summary>
/// <param name="Id">Function id.</param>
/// <param name="Name">Display name.</param>
/// <param name="MemoryMb">Memory budget in MiB.</param>
/// <param name="TimeoutSeconds">Deadline in seconds.</param>
/// <param name="RequiredCapabilities">Capabilities a node must have.</param>
/// <param name="Parameters">JSON-bound parameters, in order (a trailing CancellationToken is not listed).</param>
/// <param name="ReturnType">The result type, fully qualified (<c>void</c> for none; task types unwrapped).</param>
/// <param name="Method">The method, as <c>Type.Method</c>.</param>
/// <param name="IsAsync">True for a Task/ValueTask method.</param>
/// <param name="AcceptsCancellation">True when the method takes a trailing CancellationToken.</param>
public sealed record EdgeFunctionDescriptor(
    string Id,
    string Name,
    int MemoryMb,
    int TimeoutSeconds,
    IReadOnlyList<string> RequiredCapabilities,
    IReadOnlyList<EdgeParameterDescriptor> Parameters,
    string ReturnType,
    string Method,
    bool IsAsync,
    bool AcceptsCancellation);

namespace Edge.Generators.Model;

/// <summary>How a value travels through JSON.</summary>
internal enum JsonKind
{
    Boolean,
    Byte,
    SByte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    Char,
    String,
    Guid,
    DateTime,
    DateTimeOffset,
    TimeSpan,
    Enum,
    FlagsEnum,
    Bytes,
    Sequence,
    User,
}

/// <summary>How a sequence parameter is declared; every shape binds from a JSON array through an array.</summary>
internal enum SequenceShape
{
    None,
    Array,
    Span,
    ReadOnlySpan,
    Memory,
    ReadOnlyMemory,
}

/// <summary>A JSON-bindable type.</summary>
/// <param name="Type">The type with <c>global::</c> names and no nullable reference annotation (usable in <c>typeof</c>).</param>
/// <param name="Value">For a <c>Nullable&lt;T&gt;</c>, <c>T</c>'s name; otherwise <see cref="Type"/>.</param>
/// <param name="Kind">How it is read and written.</param>
/// <param name="AcceptsNull">True when JSON <c>null</c> is a valid value.</param>
/// <param name="IsNullableValue">True for <c>Nullable&lt;T&gt;</c>.</param>
/// <param name="Shape">For <see cref="JsonKind.Sequence"/>, the declared shape.</param>
/// <param name="Element">For <see cref="JsonKind.Sequence"/>, the element.</param>
internal sealed record JsonTypeSpec(
    string Type,
    string Value,
    JsonKind Kind,
    bool AcceptsNull,
    bool IsNullableValue,
    SequenceShape Shape,
    JsonTypeSpec? Element);

namespace Edge.Generators;

/// <summary>
/// The fixed part of the generated code: Utf8JsonReader/Utf8JsonWriter binding for the built-in types, emitted once per
/// assembly as a private nested class so a consumer depends on nothing beyond Edge.Runtime and System.Text.Json.
/// </summary>
internal static class JsonSupportTemplate
{
    public const string Body = """
    partial class EdgeFunctionTable
    {
        /// <summary>Binds JSON arguments and writes JSON results without reflection.</summary>
        [global::System.CodeDom.Compiler.GeneratedCode("Edge.Generators", "1.0.0.0")]
        private static class EdgeJson
        {
            public delegate T ReadValue<T>(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter);

            public delegate void WriteValue<T>(global::System.Text.Json.Utf8JsonWriter writer, T value);

            /// <summary>False for an empty body (no arguments); true when the reader stands on the arguments object.</summary>
            public static bool BeginObject(ref global::System.Text.Json.Utf8JsonReader reader, string function, global::System.ReadOnlySpan<byte> utf8Arguments)
            {
                if (global::System.MemoryExtensions.Trim(utf8Arguments, " \t\r\n"u8).IsEmpty)
                {
                    return false;
                }

                reader.Read();
                if (reader.TokenType != global::System.Text.Json.JsonTokenType.StartObject)
                {
                    throw new global::Edge.Runtime.EdgeBindingException(
                        function, null, "the arguments must be a JSON object keyed by parameter name, not " + Describe(reader.TokenType));
                }

                return true;
            }

            /// <summary>Moves to the next property name; false at the end of the arguments object.</summary>
            public static bool NextArgument(ref global::System.Text.Json.Utf8JsonReader reader)
            {
                reader.Read();
                if (reader.TokenType != global::System.Text.Json.JsonTokenType.EndObject)
                {
                    return true;
                }

                // Anything but whitespace after the object makes the reader throw.
                reader.Read();
                return false;
            }

            public static void EnterArgument(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, ref bool seen)
            {
                if (seen)
                {
                    throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "is given more than once");
                }

                seen = true;
                reader.Read();
            }

            [global::System.ThreadStatic]
            private static global::System.Text.Json.Utf8JsonWriter? t_writer;

            /// <summary>Takes this thread's cached writer (a new one when a nested call already holds it), reset onto <paramref name="output"/>.</summary>
            public static global::System.Text.Json.Utf8JsonWriter RentWriter(global::System.Buffers.IBufferWriter<byte> output)
            {
                var writer = t_writer;
                if (writer is null)
                {
                    return new global::System.Text.Json.Utf8JsonWriter(output);
                }

                t_writer = null;
                writer.Reset(output);
                return writer;
            }

            /// <summary>Gives the writer back to this thread's cache, detached from the caller's buffer.</summary>
            public static void ReturnWriter(global::System.Text.Json.Utf8JsonWriter writer)
            {
                writer.Reset(DetachedOutput.Instance);
                t_writer = writer;
            }

            /// <summary>Where a cached writer points between calls, so it holds no caller's buffer (never written to).</summary>
            private sealed class DetachedOutput : global::System.Buffers.IBufferWriter<byte>
            {
                public static readonly DetachedOutput Instance = new();

                public void Advance(int count) => throw new global::System.InvalidOperationException("A cached JSON writer was used outside a call.");

                public global::System.Memory<byte> GetMemory(int sizeHint = 0) => throw new global::System.InvalidOperationException("A cached JSON writer was used outside a call.");

                public global::System.Span<byte> GetSpan(int sizeHint = 0) => throw new global::System.InvalidOperationException("A cached JSON writer was used outside a call.");
            }

            public static void UnknownArgument(ref global::System.Text.Json.Utf8JsonReader reader, string function, string expected) =>
                throw new global::Edge.Runtime.EdgeBindingException(function, reader.GetString(), "is not a parameter of this function (" + expected + ")");

            public static global::Edge.Runtime.EdgeBindingException Missing(string function, string parameter) =>
                new(function, parameter, "is required but missing");

            public static global::Edge.Runtime.EdgeBindingException Malformed(string function, string? parameter, global::System.Text.Json.JsonException exception) =>
                new(function, parameter, "malformed JSON: " + exception.Message, exception);

            public static bool ReadBoolean(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                reader.TokenType switch
                {
                    global::System.Text.Json.JsonTokenType.True => true,
                    global::System.Text.Json.JsonTokenType.False => false,
                    _ => throw WrongToken(ref reader, function, parameter, "true or false"),
                };

            public static byte ReadByte(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "Byte") && reader.TryGetByte(out var value) ? value : throw NotA(ref reader, function, parameter, "Byte");

            public static sbyte ReadSByte(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "SByte") && reader.TryGetSByte(out var value) ? value : throw NotA(ref reader, function, parameter, "SByte");

            public static short ReadInt16(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "Int16") && reader.TryGetInt16(out var value) ? value : throw NotA(ref reader, function, parameter, "Int16");

            public static ushort ReadUInt16(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "UInt16") && reader.TryGetUInt16(out var value) ? value : throw NotA(ref reader, function, parameter, "UInt16");

            public static int ReadInt32(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "Int32") && reader.TryGetInt32(out var value) ? value : throw NotA(ref reader, function, parameter, "Int32");

            public static uint ReadUInt32(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "UInt32") && reader.TryGetUInt32(out var value) ? value : throw NotA(ref reader, function, parameter, "UInt32");

            public static long ReadInt64(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "Int64") && reader.TryGetInt64(out var value) ? value : throw NotA(ref reader, function, parameter, "Int64");

            public static ulong ReadUInt64(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "UInt64") && reader.TryGetUInt64(out var value) ? value : throw NotA(ref reader, function, parameter, "UInt64");

            public static float ReadSingle(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "Single") && reader.TryGetSingle(out var value) && float.IsFinite(value) ? value : throw NotA(ref reader, function, parameter, "Single");

            public static double ReadDouble(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "Double") && reader.TryGetDouble(out var value) && double.IsFinite(value) ? value : throw NotA(ref reader, function, parameter, "Double");

            public static decimal ReadDecimal(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Number(ref reader, function, parameter, "Decimal") && reader.TryGetDecimal(out var value) ? value : throw NotA(ref reader, function, parameter, "Decimal");

            public static char ReadChar(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter)
            {
                var text = ReadString(ref reader, function, parameter);
                return text.Length == 1 ? text[0] : throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "expected a string of exactly one character, got " + text.Length + " characters");
            }

            public static string ReadString(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                ReadStringOrNull(ref reader, function, parameter) ?? throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "must not be null (expected a JSON string)");

            public static string? ReadStringOrNull(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                reader.TokenType switch
                {
                    global::System.Text.Json.JsonTokenType.String => reader.GetString(),
                    global::System.Text.Json.JsonTokenType.Null => null,
                    _ => throw WrongToken(ref reader, function, parameter, "a JSON string"),
                };

            public static global::System.Guid ReadGuid(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Text(ref reader, function, parameter, "Guid") && reader.TryGetGuid(out var value) ? value : throw NotA(ref reader, function, parameter, "Guid");

            public static global::System.DateTime ReadDateTime(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Text(ref reader, function, parameter, "ISO 8601 DateTime") && reader.TryGetDateTime(out var value) ? value : throw NotA(ref reader, function, parameter, "ISO 8601 DateTime");

            public static global::System.DateTimeOffset ReadDateTimeOffset(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Text(ref reader, function, parameter, "ISO 8601 DateTimeOffset") && reader.TryGetDateTimeOffset(out var value) ? value : throw NotA(ref reader, function, parameter, "ISO 8601 DateTimeOffset");

            public static global::System.TimeSpan ReadTimeSpan(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter) =>
                Text(ref reader, function, parameter, "TimeSpan") && global::System.TimeSpan.TryParse(reader.GetString(), global::System.Globalization.CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw NotA(ref reader, function, parameter, "TimeSpan ([-][d.]hh:mm:ss[.fffffff])");

            public static TEnum ReadEnum<TEnum>(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter)
                where TEnum : struct, global::System.Enum =>
                TryReadEnum<TEnum>(ref reader, out var value) && global::System.Enum.IsDefined(value)
                    ? value
                    : throw NotEnum<TEnum>(ref reader, function, parameter);

            public static TEnum ReadFlags<TEnum>(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter)
                where TEnum : struct, global::System.Enum =>
                TryReadEnum<TEnum>(ref reader, out var value) ? value : throw NotEnum<TEnum>(ref reader, function, parameter);

            public static byte[]? ReadBytes(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, bool allowNull)
            {
                if (reader.TokenType == global::System.Text.Json.JsonTokenType.Null)
                {
                    return allowNull ? null : throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "must not be null (expected a base64 JSON string)");
                }

                return Text(ref reader, function, parameter, "base64 string") && reader.TryGetBytesFromBase64(out var value)
                    ? value
                    : throw NotA(ref reader, function, parameter, "base64 string");
            }

            public static T[]? ReadArray<T>(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, bool allowNull, ReadValue<T> element)
            {
                if (reader.TokenType == global::System.Text.Json.JsonTokenType.Null)
                {
                    return allowNull ? null : throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "must not be null (expected a JSON array)");
                }

                if (reader.TokenType != global::System.Text.Json.JsonTokenType.StartArray)
                {
                    throw WrongToken(ref reader, function, parameter, "a JSON array");
                }

                var items = new global::System.Collections.Generic.List<T>();
                while (reader.Read() && reader.TokenType != global::System.Text.Json.JsonTokenType.EndArray)
                {
                    items.Add(element(ref reader, function, parameter));
                }

                return items.ToArray();
            }

            public static T? ReadUser<T>(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, bool allowNull, global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
            {
                T? value;
                try
                {
                    value = global::System.Text.Json.JsonSerializer.Deserialize(ref reader, typeInfo);
                }
                catch (global::System.Text.Json.JsonException ex)
                {
                    throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "does not fit its type: " + ex.Message, ex);
                }
                catch (global::System.NotSupportedException ex)
                {
                    throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "cannot be read: " + ex.Message, ex);
                }

                return value is null && !allowNull
                    ? throw new global::Edge.Runtime.EdgeBindingException(function, parameter, "must not be null")
                    : value;
            }

            public static void WriteBoolean(global::System.Text.Json.Utf8JsonWriter writer, bool value) => writer.WriteBooleanValue(value);

            public static void WriteByte(global::System.Text.Json.Utf8JsonWriter writer, byte value) => writer.WriteNumberValue((int)value);

            public static void WriteSByte(global::System.Text.Json.Utf8JsonWriter writer, sbyte value) => writer.WriteNumberValue((int)value);

            public static void WriteInt16(global::System.Text.Json.Utf8JsonWriter writer, short value) => writer.WriteNumberValue((int)value);

            public static void WriteUInt16(global::System.Text.Json.Utf8JsonWriter writer, ushort value) => writer.WriteNumberValue((int)value);

            public static void WriteInt32(global::System.Text.Json.Utf8JsonWriter writer, int value) => writer.WriteNumberValue(value);

            public static void WriteUInt32(global::System.Text.Json.Utf8JsonWriter writer, uint value) => writer.WriteNumberValue(value);

            public static void WriteInt64(global::System.Text.Json.Utf8JsonWriter writer, long value) => writer.WriteNumberValue(value);

            public static void WriteUInt64(global::System.Text.Json.Utf8JsonWriter writer, ulong value) => writer.WriteNumberValue(value);

            public static void WriteSingle(global::System.Text.Json.Utf8JsonWriter writer, float value) => writer.WriteNumberValue(value);

            public static void WriteDouble(global::System.Text.Json.Utf8JsonWriter writer, double value) => writer.WriteNumberValue(value);

            public static void WriteDecimal(global::System.Text.Json.Utf8JsonWriter writer, decimal value) => writer.WriteNumberValue(value);

            public static void WriteChar(global::System.Text.Json.Utf8JsonWriter writer, char value) => writer.WriteStringValue(new global::System.ReadOnlySpan<char>(in value));

            public static void WriteString(global::System.Text.Json.Utf8JsonWriter writer, string? value) => writer.WriteStringValue(value);

            public static void WriteGuid(global::System.Text.Json.Utf8JsonWriter writer, global::System.Guid value) => writer.WriteStringValue(value);

            public static void WriteDateTime(global::System.Text.Json.Utf8JsonWriter writer, global::System.DateTime value) => writer.WriteStringValue(value);

            public static void WriteDateTimeOffset(global::System.Text.Json.Utf8JsonWriter writer, global::System.DateTimeOffset value) => writer.WriteStringValue(value);

            public static void WriteTimeSpan(global::System.Text.Json.Utf8JsonWriter writer, global::System.TimeSpan value) =>
                writer.WriteStringValue(value.ToString("c", global::System.Globalization.CultureInfo.InvariantCulture));

            public static void WriteEnum<TEnum>(global::System.Text.Json.Utf8JsonWriter writer, TEnum value)
                where TEnum : struct, global::System.Enum => writer.WriteStringValue(global::System.Enum.GetName(value) ?? value.ToString());

            public static void WriteArray<T>(global::System.Text.Json.Utf8JsonWriter writer, global::System.ReadOnlySpan<T> values, WriteValue<T> element)
            {
                writer.WriteStartArray();
                foreach (var value in values)
                {
                    element(writer, value);
                }

                writer.WriteEndArray();
            }

            private static bool TryReadEnum<TEnum>(ref global::System.Text.Json.Utf8JsonReader reader, out TEnum value)
                where TEnum : struct, global::System.Enum
            {
                // Parsed from stack buffers: binding an enum allocates nothing.
                global::System.Span<char> text = stackalloc char[128];
                switch (reader.TokenType)
                {
                    case global::System.Text.Json.JsonTokenType.String:
                        value = default;
                        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                        if (length > text.Length * 3)
                        {
                            return false;
                        }

                        global::System.Span<char> name = length > text.Length ? new char[length] : text;
                        name = name.Slice(0, reader.CopyString(name));
                        // Names only: a numeric string is not a name.
                        return name.Length > 0
                            && (char.IsLetter(name[0]) || name[0] == '_')
                            && global::System.Enum.TryParse(name, ignoreCase: true, out value);
                    case global::System.Text.Json.JsonTokenType.Number when reader.TryGetInt64(out var number):
                        number.TryFormat(text, out var written, default, global::System.Globalization.CultureInfo.InvariantCulture);
                        return global::System.Enum.TryParse(text.Slice(0, written), out value);
                    case global::System.Text.Json.JsonTokenType.Number when reader.TryGetUInt64(out var unsigned):
                        unsigned.TryFormat(text, out var uwritten, default, global::System.Globalization.CultureInfo.InvariantCulture);
                        return global::System.Enum.TryParse(text.Slice(0, uwritten), out value);
                    default:
                        value = default;
                        return false;
                }
            }

            private static global::Edge.Runtime.EdgeBindingException NotEnum<TEnum>(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter)
                where TEnum : struct, global::System.Enum =>
                reader.TokenType is global::System.Text.Json.JsonTokenType.String or global::System.Text.Json.JsonTokenType.Number
                    ? new(function, parameter, Raw(ref reader) + " is not one of " + string.Join(", ", global::System.Enum.GetNames<TEnum>()))
                    : WrongToken(ref reader, function, parameter, "an enum name (string) or value (number)");

            private static bool Number(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, string type) =>
                reader.TokenType == global::System.Text.Json.JsonTokenType.Number ? true : throw WrongToken(ref reader, function, parameter, "a JSON number (" + type + ")");

            private static bool Text(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, string type) =>
                reader.TokenType == global::System.Text.Json.JsonTokenType.String ? true : throw WrongToken(ref reader, function, parameter, "a JSON string (" + type + ")");

            private static global::Edge.Runtime.EdgeBindingException NotA(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, string type) =>
                new(function, parameter, Raw(ref reader) + " is not a valid " + type);

            private static global::Edge.Runtime.EdgeBindingException WrongToken(ref global::System.Text.Json.Utf8JsonReader reader, string function, string parameter, string expected) =>
                new(function, parameter, "expected " + expected + ", got " + Describe(reader.TokenType));

            private static string Raw(ref global::System.Text.Json.Utf8JsonReader reader) =>
                reader.TokenType == global::System.Text.Json.JsonTokenType.String
                    ? "\"" + reader.GetString() + "\""
                    : global::System.Text.Encoding.UTF8.GetString(reader.ValueSpan);

            private static string Describe(global::System.Text.Json.JsonTokenType token) => token switch
            {
                global::System.Text.Json.JsonTokenType.StartObject => "a JSON object",
                global::System.Text.Json.JsonTokenType.StartArray => "a JSON array",
                global::System.Text.Json.JsonTokenType.String => "a JSON string",
                global::System.Text.Json.JsonTokenType.Number => "a JSON number",
                global::System.Text.Json.JsonTokenType.True or global::System.Text.Json.JsonTokenType.False => "a JSON boolean",
                global::System.Text.Json.JsonTokenType.Null => "null",
                _ => token.ToString(),
            };
        }
    }
""";
}

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Edge.Runtime;

/// <summary>
/// Checks JSON where its bytes enter the node (HTTP bodies, MQTT payloads, CLI arguments), so nothing downstream —
/// the canonical writer, the checksum, serializers, the journal — can meet text it cannot encode. Beyond RFC 8259
/// syntax it refuses what <see cref="Utf8JsonReader"/> lets through: invalid UTF-8 inside strings and names, escapes
/// that leave an unpaired UTF-16 surrogate, duplicate keys in an object, and nesting deeper than the limit.
/// </summary>
public static class JsonInput
{
    /// <summary>Validates <paramref name="utf8Json"/>; on failure <paramref name="problem"/> is an English sentence naming the problem and its JSON path.</summary>
    /// <param name="utf8Json">One JSON value (any kind) as UTF-8.</param>
    /// <param name="maxDepth">
    /// The deepest nesting accepted; an object or array is one level. 1..<see cref="JsonLimits.SerializerDepth"/>: a body
    /// that is data takes at most <see cref="JsonLimits.MaxDepth"/>, and a message that wraps such data in an envelope
    /// (an MQTT desired state's <c>data</c>) adds the envelope's levels to the node's limit.
    /// </param>
    /// <param name="problem">Why the input is refused, or null.</param>
    public static bool TryValidate(ReadOnlySpan<byte> utf8Json, int maxDepth, [NotNullWhen(false)] out string? problem)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDepth, JsonLimits.SerializerDepth);
        if (utf8Json.IsEmpty)
        {
            problem = "The body is empty: expected a JSON value.";
            return false;
        }

        var path = new PathStack();
        try
        {
            problem = Check(utf8Json, maxDepth, ref path);
        }
        finally
        {
            path.Dispose();
        }

        return problem is null;
    }

    private static string? Check(ReadOnlySpan<byte> utf8Json, int maxDepth, ref PathStack path)
    {
        // One level of slack so the depth error is ours, with a path, instead of the reader's.
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        char[]? scratch = null;
        try
        {
            while (true)
            {
                try
                {
                    if (!reader.Read())
                    {
                        return null;
                    }
                }
                catch (JsonException e)
                {
                    return $"Malformed JSON near {path.Format()}: {e.Message}";
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        path.NoteValue();
                        if (reader.CurrentDepth + 1 > maxDepth)
                        {
                            return $"JSON nested deeper than the limit of {maxDepth} levels at {path.Format()}.";
                        }

                        path.Push(reader.TokenType == JsonTokenType.StartArray);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        path.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        if (Decode(ref reader, ref scratch, out var name) is { } nameProblem)
                        {
                            path.ClearName();
                            return $"A key of the object at {path.Format()} {nameProblem}.";
                        }

                        if (!path.SetName(name))
                        {
                            return $"Duplicate key '{name}' at {path.Format()}: each key may appear once in an object.";
                        }

                        break;
                    case JsonTokenType.String:
                        path.NoteValue();
                        if (Check(ref reader, ref scratch) is { } valueProblem)
                        {
                            return $"The string at {path.Format()} {valueProblem}.";
                        }

                        break;
                    default:
                        path.NoteValue();
                        break;
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>Validates a string value without materializing it when it has no escapes (the common case).</summary>
    private static string? Check(ref Utf8JsonReader reader, ref char[]? scratch)
    {
        if (!reader.ValueIsEscaped)
        {
            return Utf8.IsValid(reader.ValueSpan) ? null : "holds bytes that are not valid UTF-8";
        }

        return Decode(ref reader, ref scratch, out _);
    }

    /// <summary>Unescapes and transcodes the current token; returns the problem (as a predicate phrase) or null.</summary>
    private static string? Decode(ref Utf8JsonReader reader, ref char[]? scratch, out string text)
    {
        text = "";
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped && !Utf8.IsValid(raw))
        {
            return "holds bytes that are not valid UTF-8";
        }

        if (scratch is null || scratch.Length < raw.Length)
        {
            if (scratch is not null)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }

            scratch = ArrayPool<char>.Shared.Rent(Math.Max(raw.Length, 256));
        }

        int written;
        try
        {
            written = reader.CopyString(scratch);
        }
        catch (InvalidOperationException)
        {
            // The reader refuses to transcode invalid UTF-8 mixed with escapes and escapes of unpaired surrogates.
            return Utf8.IsValid(raw) ? "holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair)" : "holds bytes that are not valid UTF-8";
        }

        var chars = scratch.AsSpan(0, written);
        if (HasUnpairedSurrogate(chars))
        {
            return "holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair)";
        }

        if (reader.TokenType == JsonTokenType.PropertyName)
        {
            text = new string(chars);
        }

        return null;
    }

    private static bool HasUnpairedSurrogate(ReadOnlySpan<char> chars)
    {
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Where the reader is, as a JSONPath (<c>$.a[2]['b c']</c>); keeps one key set per open object for duplicates.</summary>
    private struct PathStack : IDisposable
    {
        private Frame[]? _frames;
        private int _count;

        public void Push(bool isArray)
        {
            _frames ??= ArrayPool<Frame>.Shared.Rent(16);
            if (_count == _frames.Length)
            {
                var bigger = ArrayPool<Frame>.Shared.Rent(_count * 2);
                _frames.AsSpan(0, _count).CopyTo(bigger);
                ArrayPool<Frame>.Shared.Return(_frames, clearArray: true);
                _frames = bigger;
            }

            ref var frame = ref _frames[_count++];
            frame.IsArray = isArray;
            frame.Index = -1;
            frame.Name = null;
            frame.Keys?.Clear();
        }

        public void Pop()
        {
            if (_count > 0)
            {
                _frames![--_count].Keys?.Clear();
            }
        }

        /// <summary>A value starts: in an array it is the next element.</summary>
        public readonly void NoteValue()
        {
            if (_count > 0 && _frames![_count - 1].IsArray)
            {
                _frames[_count - 1].Index++;
            }
        }

        /// <summary>Records the current key; false when the object already has it.</summary>
        public readonly bool SetName(string name)
        {
            ref var frame = ref _frames![_count - 1];
            frame.Name = name;
            frame.Keys ??= new HashSet<string>(StringComparer.Ordinal);
            return frame.Keys.Add(name);
        }

        public readonly void ClearName() => _frames![_count - 1].Name = null;

        public readonly string Format()
        {
            var text = new StringBuilder("$");
            for (var i = 0; i < _count; i++)
            {
                ref var frame = ref _frames![i];
                if (frame.IsArray)
                {
                    if (frame.Index >= 0)
                    {
                        text.Append('[').Append(frame.Index).Append(']');
                    }
                }
                else if (frame.Name is { } name)
                {
                    if (IsPlainName(name))
                    {
                        text.Append('.').Append(name);
                    }
                    else
                    {
                        text.Append("['").Append(name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
                    }
                }
            }

            return text.ToString();
        }

        public void Dispose()
        {
            if (_frames is not null)
            {
                ArrayPool<Frame>.Shared.Return(_frames, clearArray: true);
                _frames = null;
            }
        }

        private static bool IsPlainName(string name)
        {
            if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            {
                return false;
            }

            foreach (var c in name)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
                {
                    return false;
                }
            }

            return true;
        }
    }

    private struct Frame
    {
        public bool IsArray;
        public int Index;
        public string? Name;
        public HashSet<string>? Keys;
    }
}

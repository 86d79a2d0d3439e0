using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.ObjectPool;

namespace Edge.Runtime;

/// <summary>The reference-compatible state checksum: lowercase hex MD5 of the canonical JSON (see <see cref="CanonicalJson"/>).</summary>
public static class StateChecksum
{
    // Large states would otherwise cost a fresh buffer per checksum; the pool keeps one per concurrent caller.
    private static readonly ObjectPool<ArrayBufferWriter<byte>> Buffers =
        new DefaultObjectPool<ArrayBufferWriter<byte>>(new BufferPolicy(), Environment.ProcessorCount * 2);

    /// <summary>Computes the checksum of <paramref name="data"/>.</summary>
    public static string Compute(JsonNode? data)
    {
        Span<byte> hash = stackalloc byte[MD5.HashSizeInBytes];
        ComputeHash(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Writes the 16-byte MD5 of the canonical form of <paramref name="data"/> into <paramref name="destination"/>.</summary>
    public static void ComputeHash(JsonNode? data, Span<byte> destination)
    {
        var buffer = Buffers.Get();
        try
        {
            CanonicalJson.Write(data, buffer);
            MD5.HashData(buffer.WrittenSpan, destination);
        }
        finally
        {
            Buffers.Return(buffer);
        }
    }

    private sealed class BufferPolicy : PooledObjectPolicy<ArrayBufferWriter<byte>>
    {
        // Buffers that grew past this are dropped rather than pinned in the pool forever.
        private const int MaxRetainedBytes = 4 * 1024 * 1024;

        public override ArrayBufferWriter<byte> Create() => new(4096);

        public override bool Return(ArrayBufferWriter<byte> obj)
        {
            if (obj.Capacity > MaxRetainedBytes)
            {
                return false;
            }

            obj.ResetWrittenCount();
            return true;
        }
    }
}

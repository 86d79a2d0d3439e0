using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>The reference-compatible state checksum: lowercase hex MD5 of the canonical JSON (see <see cref="CanonicalJson"/>).</summary>
public static class StateChecksum
{
    /// <summary>Computes the checksum of <paramref name="data"/> (canonicalizes it first; a state already holds its checksum).</summary>
    public static string Compute(JsonNode? data)
    {
        var buffer = CanonicalBuffer.Rent();
        try
        {
            CanonicalJson.WriteTo(data, buffer);
            return Compute(buffer.WrittenSpan);
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    /// <summary>The checksum of bytes that are already canonical: one MD5 pass (managed for small inputs, OpenSSL above).</summary>
    internal static string Compute(ReadOnlySpan<byte> canonical)
    {
        Span<byte> hash = stackalloc byte[MD5.HashSizeInBytes];
        if (canonical.Length <= SmallMd5.Threshold)
        {
            SmallMd5.HashData(canonical, hash);
        }
        else
        {
            MD5.HashData(canonical, hash);
        }

        return Convert.ToHexStringLower(hash);
    }
}

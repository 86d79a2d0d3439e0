using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Edge.Runtime;

/// <summary>
/// MD5 (RFC 1321) in managed code, for small inputs: below a few KiB the OpenSSL call behind
/// <see cref="System.Security.Cryptography.MD5.HashData(ReadOnlySpan{byte}, Span{byte})"/> costs more than the hashing
/// (context allocation, error-queue clearing, frees). Above <see cref="Threshold"/> bytes OpenSSL's assembly is faster.
/// A checksum here, not a security boundary (DESIGN.md §4); every vector and MD5.HashData agree with it (the tests check).
/// </summary>
internal static class SmallMd5
{
    /// <summary>
    /// Inputs up to this many bytes hash faster here than through OpenSSL: 248 B 0.58 vs 0.74 us, 1 KiB 2.0 vs 1.7 us
    /// (bench/README.md, Checksum: <c>Md5_Managed</c> beside <c>Md5_Baseline</c>).
    /// </summary>
    public const int Threshold = 512;

    /// <summary>Writes the 16-byte MD5 of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public static void HashData(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        uint a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
        var whole = source.Length & ~63;
        for (var offset = 0; offset < whole; offset += 64)
        {
            Block(source.Slice(offset, 64), ref a, ref b, ref c, ref d);
        }

        // The padding: 0x80, zeros, then the bit length (little-endian) in the last 8 bytes of one or two blocks.
        Span<byte> tail = stackalloc byte[128];
        tail.Clear();
        var rest = source.Length - whole;
        source[whole..].CopyTo(tail);
        tail[rest] = 0x80;
        var tailLength = rest < 56 ? 64 : 128;
        BinaryPrimitives.WriteUInt64LittleEndian(tail[(tailLength - 8)..], (ulong)source.Length * 8);
        Block(tail[..64], ref a, ref b, ref c, ref d);
        if (tailLength == 128)
        {
            Block(tail[64..], ref a, ref b, ref c, ref d);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, a);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], b);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], c);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], d);
    }

    private static void Block(ReadOnlySpan<byte> block, ref uint a0, ref uint b0, ref uint c0, ref uint d0)
    {
        var x0 = BinaryPrimitives.ReadUInt32LittleEndian(block);
        var x1 = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
        var x2 = BinaryPrimitives.ReadUInt32LittleEndian(block[8..]);
        var x3 = BinaryPrimitives.ReadUInt32LittleEndian(block[12..]);
        var x4 = BinaryPrimitives.ReadUInt32LittleEndian(block[16..]);
        var x5 = BinaryPrimitives.ReadUInt32LittleEndian(block[20..]);
        var x6 = BinaryPrimitives.ReadUInt32LittleEndian(block[24..]);
        var x7 = BinaryPrimitives.ReadUInt32LittleEndian(block[28..]);
        var x8 = BinaryPrimitives.ReadUInt32LittleEndian(block[32..]);
        var x9 = BinaryPrimitives.ReadUInt32LittleEndian(block[36..]);
        var x10 = BinaryPrimitives.ReadUInt32LittleEndian(block[40..]);
        var x11 = BinaryPrimitives.ReadUInt32LittleEndian(block[44..]);
        var x12 = BinaryPrimitives.ReadUInt32LittleEndian(block[48..]);
        var x13 = BinaryPrimitives.ReadUInt32LittleEndian(block[52..]);
        var x14 = BinaryPrimitives.ReadUInt32LittleEndian(block[56..]);
        var x15 = BinaryPrimitives.ReadUInt32LittleEndian(block[60..]);
        uint a = a0, b = b0, c = c0, d = d0;

        a = F(a, b, c, d, x0, 0xd76aa478, 7); d = F(d, a, b, c, x1, 0xe8c7b756, 12);
        c = F(c, d, a, b, x2, 0x242070db, 17); b = F(b, c, d, a, x3, 0xc1bdceee, 22);
        a = F(a, b, c, d, x4, 0xf57c0faf, 7); d = F(d, a, b, c, x5, 0x4787c62a, 12);
        c = F(c, d, a, b, x6, 0xa8304613, 17); b = F(b, c, d, a, x7, 0xfd469501, 22);
        a = F(a, b, c, d, x8, 0x698098d8, 7); d = F(d, a, b, c, x9, 0x8b44f7af, 12);
        c = F(c, d, a, b, x10, 0xffff5bb1, 17); b = F(b, c, d, a, x11, 0x895cd7be, 22);
        a = F(a, b, c, d, x12, 0x6b901122, 7); d = F(d, a, b, c, x13, 0xfd987193, 12);
        c = F(c, d, a, b, x14, 0xa679438e, 17); b = F(b, c, d, a, x15, 0x49b40821, 22);

        a = G(a, b, c, d, x1, 0xf61e2562, 5); d = G(d, a, b, c, x6, 0xc040b340, 9);
        c = G(c, d, a, b, x11, 0x265e5a51, 14); b = G(b, c, d, a, x0, 0xe9b6c7aa, 20);
        a = G(a, b, c, d, x5, 0xd62f105d, 5); d = G(d, a, b, c, x10, 0x02441453, 9);
        c = G(c, d, a, b, x15, 0xd8a1e681, 14); b = G(b, c, d, a, x4, 0xe7d3fbc8, 20);
        a = G(a, b, c, d, x9, 0x21e1cde6, 5); d = G(d, a, b, c, x14, 0xc33707d6, 9);
        c = G(c, d, a, b, x3, 0xf4d50d87, 14); b = G(b, c, d, a, x8, 0x455a14ed, 20);
        a = G(a, b, c, d, x13, 0xa9e3e905, 5); d = G(d, a, b, c, x2, 0xfcefa3f8, 9);
        c = G(c, d, a, b, x7, 0x676f02d9, 14); b = G(b, c, d, a, x12, 0x8d2a4c8a, 20);

        a = H(a, b, c, d, x5, 0xfffa3942, 4); d = H(d, a, b, c, x8, 0x8771f681, 11);
        c = H(c, d, a, b, x11, 0x6d9d6122, 16); b = H(b, c, d, a, x14, 0xfde5380c, 23);
        a = H(a, b, c, d, x1, 0xa4beea44, 4); d = H(d, a, b, c, x4, 0x4bdecfa9, 11);
        c = H(c, d, a, b, x7, 0xf6bb4b60, 16); b = H(b, c, d, a, x10, 0xbebfbc70, 23);
        a = H(a, b, c, d, x13, 0x289b7ec6, 4); d = H(d, a, b, c, x0, 0xeaa127fa, 11);
        c = H(c, d, a, b, x3, 0xd4ef3085, 16); b = H(b, c, d, a, x6, 0x04881d05, 23);
        a = H(a, b, c, d, x9, 0xd9d4d039, 4); d = H(d, a, b, c, x12, 0xe6db99e5, 11);
        c = H(c, d, a, b, x15, 0x1fa27cf8, 16); b = H(b, c, d, a, x2, 0xc4ac5665, 23);

        a = I(a, b, c, d, x0, 0xf4292244, 6); d = I(d, a, b, c, x7, 0x432aff97, 10);
        c = I(c, d, a, b, x14, 0xab9423a7, 15); b = I(b, c, d, a, x5, 0xfc93a039, 21);
        a = I(a, b, c, d, x12, 0x655b59c3, 6); d = I(d, a, b, c, x3, 0x8f0ccc92, 10);
        c = I(c, d, a, b, x10, 0xffeff47d, 15); b = I(b, c, d, a, x1, 0x85845dd1, 21);
        a = I(a, b, c, d, x8, 0x6fa87e4f, 6); d = I(d, a, b, c, x15, 0xfe2ce6e0, 10);
        c = I(c, d, a, b, x6, 0xa3014314, 15); b = I(b, c, d, a, x13, 0x4e0811a1, 21);
        a = I(a, b, c, d, x4, 0xf7537e82, 6); d = I(d, a, b, c, x11, 0xbd3af235, 10);
        c = I(c, d, a, b, x2, 0x2ad7d2bb, 15); b = I(b, c, d, a, x9, 0xeb86d391, 21);

        a0 += a;
        b0 += b;
        c0 += c;
        d0 += d;
    }

    // The four rounds' steps. a + x + t does not wait for b (the previous step's result), so it is added last-but-one;
    // H xors c and d before b arrives; G adds its two independent halves ((b & d) + (c & ~d) equals the OR, the bits being disjoint): the chain each step
    // waits on is as short as MD5 allows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint F(uint a, uint b, uint c, uint d, uint x, uint t, int s) => b + BitOperations.RotateLeft((d ^ (b & (c ^ d))) + (a + x + t), s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint G(uint a, uint b, uint c, uint d, uint x, uint t, int s) => b + BitOperations.RotateLeft((b & d) + ((c & ~d) + (a + x + t)), s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint H(uint a, uint b, uint c, uint d, uint x, uint t, int s) => b + BitOperations.RotateLeft((b ^ (c ^ d)) + (a + x + t), s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint I(uint a, uint b, uint c, uint d, uint x, uint t, int s) => b + BitOperations.RotateLeft((c ^ (b | ~d)) + (a + x + t), s);
}

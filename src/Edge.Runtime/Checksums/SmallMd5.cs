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
    /// Inputs up to this many bytes hash faster here than through OpenSSL (stopwatch loop, one box: 248 B 0.53 vs 1.15 us,
    /// 1 KiB 1.6-1.8 vs 1.9-2.2 us, 2 KiB 3.0-3.4 vs 3.3-3.6 us, 4 KiB 6.3-6.8 vs 5.9-6.5 us; bench/README.md, Checksum:
    /// <c>Md5_Managed</c> beside <c>Md5_Baseline</c>).
    /// </summary>
    public const int Threshold = 2048;

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

        // Each step's target + x + t does not wait for the step before, so it is summed one statement early: two
        // statements from its use, out of reach of the JIT's forward substitution, which would fold it back into the
        // chain that waits (as ((F + a) + x) + t). Per step the wait is then F, one add, the rotation and the add of b.
        var u = a + x0 + 0xd76aa478;
        uint v;
        v = d + x1 + 0xe8c7b756;
        a = F(b, c, d, u, 7);
        u = c + x2 + 0x242070db;
        d = F(a, b, c, v, 12);
        v = b + x3 + 0xc1bdceee;
        c = F(d, a, b, u, 17);
        u = a + x4 + 0xf57c0faf;
        b = F(c, d, a, v, 22);
        v = d + x5 + 0x4787c62a;
        a = F(b, c, d, u, 7);
        u = c + x6 + 0xa8304613;
        d = F(a, b, c, v, 12);
        v = b + x7 + 0xfd469501;
        c = F(d, a, b, u, 17);
        u = a + x8 + 0x698098d8;
        b = F(c, d, a, v, 22);
        v = d + x9 + 0x8b44f7af;
        a = F(b, c, d, u, 7);
        u = c + x10 + 0xffff5bb1;
        d = F(a, b, c, v, 12);
        v = b + x11 + 0x895cd7be;
        c = F(d, a, b, u, 17);
        u = a + x12 + 0x6b901122;
        b = F(c, d, a, v, 22);
        v = d + x13 + 0xfd987193;
        a = F(b, c, d, u, 7);
        u = c + x14 + 0xa679438e;
        d = F(a, b, c, v, 12);
        v = b + x15 + 0x49b40821;
        c = F(d, a, b, u, 17);
        u = a + x1 + 0xf61e2562;
        b = F(c, d, a, v, 22);

        v = d + x6 + 0xc040b340;
        a = G(b, c, d, u, 5);
        u = c + x11 + 0x265e5a51;
        d = G(a, b, c, v, 9);
        v = b + x0 + 0xe9b6c7aa;
        c = G(d, a, b, u, 14);
        u = a + x5 + 0xd62f105d;
        b = G(c, d, a, v, 20);
        v = d + x10 + 0x02441453;
        a = G(b, c, d, u, 5);
        u = c + x15 + 0xd8a1e681;
        d = G(a, b, c, v, 9);
        v = b + x4 + 0xe7d3fbc8;
        c = G(d, a, b, u, 14);
        u = a + x9 + 0x21e1cde6;
        b = G(c, d, a, v, 20);
        v = d + x14 + 0xc33707d6;
        a = G(b, c, d, u, 5);
        u = c + x3 + 0xf4d50d87;
        d = G(a, b, c, v, 9);
        v = b + x8 + 0x455a14ed;
        c = G(d, a, b, u, 14);
        u = a + x13 + 0xa9e3e905;
        b = G(c, d, a, v, 20);
        v = d + x2 + 0xfcefa3f8;
        a = G(b, c, d, u, 5);
        u = c + x7 + 0x676f02d9;
        d = G(a, b, c, v, 9);
        v = b + x12 + 0x8d2a4c8a;
        c = G(d, a, b, u, 14);
        u = a + x5 + 0xfffa3942;
        b = G(c, d, a, v, 20);

        v = d + x8 + 0x8771f681;
        a = H(b, c, d, u, 4);
        u = c + x11 + 0x6d9d6122;
        d = H(a, b, c, v, 11);
        v = b + x14 + 0xfde5380c;
        c = H(d, a, b, u, 16);
        u = a + x1 + 0xa4beea44;
        b = H(c, d, a, v, 23);
        v = d + x4 + 0x4bdecfa9;
        a = H(b, c, d, u, 4);
        u = c + x7 + 0xf6bb4b60;
        d = H(a, b, c, v, 11);
        v = b + x10 + 0xbebfbc70;
        c = H(d, a, b, u, 16);
        u = a + x13 + 0x289b7ec6;
        b = H(c, d, a, v, 23);
        v = d + x0 + 0xeaa127fa;
        a = H(b, c, d, u, 4);
        u = c + x3 + 0xd4ef3085;
        d = H(a, b, c, v, 11);
        v = b + x6 + 0x04881d05;
        c = H(d, a, b, u, 16);
        u = a + x9 + 0xd9d4d039;
        b = H(c, d, a, v, 23);
        v = d + x12 + 0xe6db99e5;
        a = H(b, c, d, u, 4);
        u = c + x15 + 0x1fa27cf8;
        d = H(a, b, c, v, 11);
        v = b + x2 + 0xc4ac5665;
        c = H(d, a, b, u, 16);
        u = a + x0 + 0xf4292244;
        b = H(c, d, a, v, 23);

        v = d + x7 + 0x432aff97;
        a = I(b, c, d, u, 6);
        u = c + x14 + 0xab9423a7;
        d = I(a, b, c, v, 10);
        v = b + x5 + 0xfc93a039;
        c = I(d, a, b, u, 15);
        u = a + x12 + 0x655b59c3;
        b = I(c, d, a, v, 21);
        v = d + x3 + 0x8f0ccc92;
        a = I(b, c, d, u, 6);
        u = c + x10 + 0xffeff47d;
        d = I(a, b, c, v, 10);
        v = b + x1 + 0x85845dd1;
        c = I(d, a, b, u, 15);
        u = a + x8 + 0x6fa87e4f;
        b = I(c, d, a, v, 21);
        v = d + x15 + 0xfe2ce6e0;
        a = I(b, c, d, u, 6);
        u = c + x6 + 0xa3014314;
        d = I(a, b, c, v, 10);
        v = b + x13 + 0x4e0811a1;
        c = I(d, a, b, u, 15);
        u = a + x4 + 0xf7537e82;
        b = I(c, d, a, v, 21);
        v = d + x11 + 0xbd3af235;
        a = I(b, c, d, u, 6);
        u = c + x2 + 0x2ad7d2bb;
        d = I(a, b, c, v, 10);
        v = b + x9 + 0xeb86d391;
        c = I(d, a, b, u, 15);
        b = I(c, d, a, v, 21);

        a0 += a;
        b0 += b;
        c0 += c;
        d0 += d;
    }

    // The four rounds' steps: b + ((f(b, c, d) + sum) <<< s), where sum = a + x + t was added ahead. G adds its two
    // halves ((b & d) + (c & ~d) equals the OR: the bits are disjoint), H xors c and d before b arrives.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint F(uint b, uint c, uint d, uint sum, int s) => b + BitOperations.RotateLeft((d ^ (b & (c ^ d))) + sum, s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint G(uint b, uint c, uint d, uint sum, int s) => b + BitOperations.RotateLeft((b & d) + ((c & ~d) + sum), s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint H(uint b, uint c, uint d, uint sum, int s) => b + BitOperations.RotateLeft((b ^ (c ^ d)) + sum, s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint I(uint b, uint c, uint d, uint sum, int s) => b + BitOperations.RotateLeft((c ^ (b | ~d)) + sum, s);
}

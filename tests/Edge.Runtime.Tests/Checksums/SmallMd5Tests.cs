using System.Security.Cryptography;
using System.Text;

namespace Edge.Runtime.Tests.Checksums;

/// <summary>The managed MD5 that hashes small states agrees with RFC 1321 and with OpenSSL at every length.</summary>
public class SmallMd5Tests
{
    [Test]
    [Arguments("", "d41d8cd98f00b204e9800998ecf8427e")]
    [Arguments("a", "0cc175b9c0f1b6a831c399e269772661")]
    [Arguments("abc", "900150983cd24fb0d6963f7d28e17f72")]
    [Arguments("message digest", "f96b697d7cb7938d525a2f31aaf161d0")]
    [Arguments("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b")]
    [Arguments("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f")]
    [Arguments("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a")]
    public async Task Rfc1321_test_suite(string message, string md5)
    {
        var hash = new byte[16];
        SmallMd5.HashData(Encoding.ASCII.GetBytes(message), hash);

        await Assert.That(Convert.ToHexStringLower(hash)).IsEqualTo(md5);
    }

    /// <summary>Every length up to twice the threshold: each padding case (55, 56, 63, 64 bytes into a block) and both sides of the switch.</summary>
    [Test]
    public async Task Agrees_with_openssl_at_every_length()
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"SmallMd5Tests seed: {seed}");
        var random = new Random(seed);
        var data = new byte[2 * SmallMd5.Threshold + 1];
        random.NextBytes(data);
        var managed = new byte[16];
        var mismatches = new List<int>();
        for (var length = 0; length <= data.Length; length++)
        {
            SmallMd5.HashData(data.AsSpan(0, length), managed);
            if (!managed.AsSpan().SequenceEqual(MD5.HashData(data.AsSpan(0, length))))
            {
                mismatches.Add(length);
            }
        }

        await Assert.That(mismatches).IsEmpty();
    }

    [Test]
    public async Task State_checksums_match_md5_on_both_sides_of_the_threshold()
    {
        foreach (var length in new[] { SmallMd5.Threshold - 1, SmallMd5.Threshold, SmallMd5.Threshold + 1, 10 * SmallMd5.Threshold })
        {
            // {"k": "xxx…"} of exactly `length` canonical bytes.
            var canonical = Encoding.ASCII.GetBytes("{\"k\": \"" + new string('x', length - 9) + "\"}");
            var state = SyncState.FromJson(canonical, 1);

            await Assert.That(state.Canonical.Length).IsEqualTo(length);
            await Assert.That(state.Checksum).IsEqualTo(Convert.ToHexStringLower(MD5.HashData(canonical)));
        }
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Edge.Host.Broker;

/// <summary>
/// The users the embedded broker admits, read from <c>--broker-credentials</c>: one <c>username:password</c> per line
/// (the password is everything after the first ':'); blank lines and lines starting with '#' are skipped.
/// </summary>
public sealed class BrokerCredentials
{
    private readonly Dictionary<string, byte[]> _passwords;

    private BrokerCredentials(Dictionary<string, byte[]> passwords, string firstUser)
    {
        _passwords = passwords;
        FirstUser = firstUser;
    }

    /// <summary>The first user of the file: the node's own clients connect as it unless told otherwise.</summary>
    public string FirstUser { get; }

    /// <summary>The first user's password.</summary>
    public string FirstPassword => Encoding.UTF8.GetString(_passwords[FirstUser]);

    /// <summary>How many users the file names.</summary>
    public int Count => _passwords.Count;

    /// <summary>Parses the file's text.</summary>
    /// <exception cref="FormatException">A line is not <c>username:password</c>, a user repeats, or no user is named; the message says which line.</exception>
    public static BrokerCredentials Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var passwords = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string? first = null;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == line.Length - 1)
            {
                throw new FormatException($"line {number} is not username:password with both parts non-empty");
            }

            var user = line[..colon];
            if (!passwords.TryAdd(user, Encoding.UTF8.GetBytes(line[(colon + 1)..])))
            {
                throw new FormatException($"line {number} names user '{user}' a second time");
            }

            first ??= user;
        }

        return first is null ? throw new FormatException("it names no user (one username:password per line)") : new BrokerCredentials(passwords, first);
    }

    /// <summary>True when <paramref name="user"/> is known and <paramref name="password"/> is theirs (compared in constant time).</summary>
    public bool Admits(string? user, ReadOnlySpan<byte> password) =>
        user is not null && _passwords.TryGetValue(user, out var expected) && CryptographicOperations.FixedTimeEquals(expected, password);
}

using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Edge.Host.Tests.Tls;

/// <summary>
/// A throw-away certificate authority made with openssl, as an operator would make one: a CA, server certificates for
/// 127.0.0.1/localhost and client certificates, all PEM files in a temp directory.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private int _serial;

    private TestPki(string dir) => Dir = dir;

    public string Dir { get; }

    public string CaFile => Path.Combine(Dir, "ca.pem");

    private string CaKey => Path.Combine(Dir, "ca.key");

    public static async Task<TestPki> CreateAsync(string name = "edge-test-ca")
    {
        var pki = new TestPki(Directory.CreateTempSubdirectory("edge-pki-").FullName);
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", $"/CN={name}", "-keyout", pki.CaKey, "-out", pki.CaFile,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return pki;
    }

    /// <summary>A certificate signed by this CA: for 127.0.0.1 and localhost when <paramref name="server"/>, else for client authentication.</summary>
    public async Task<(string Cert, string Key)> IssueAsync(string name, bool server)
    {
        var n = Interlocked.Increment(ref _serial);
        var (cert, key, csr, ext) = (Path.Combine(Dir, $"{name}-{n}.pem"), Path.Combine(Dir, $"{name}-{n}.key"), Path.Combine(Dir, $"{name}-{n}.csr"), Path.Combine(Dir, $"{name}-{n}.ext"));
        await File.WriteAllTextAsync(ext, server
            ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
            : "extendedKeyUsage=clientAuth\n");
        await OpenSslAsync("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", $"/CN={name}", "-keyout", key, "-out", csr);
        await OpenSslAsync("x509", "-req", "-in", csr, "-CA", CaFile, "-CAkey", CaKey, "-set_serial", (1000 + n).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-days", "2", "-extfile", ext, "-out", cert);
        return (cert, key);
    }

    /// <summary>An HttpClient handler that trusts this CA only.</summary>
    public HttpClientHandler TrustingHandler()
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(CaFile));
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task OpenSslAsync(params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var openssl = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("openssl did not start");
        var stderr = openssl.StandardError.ReadToEndAsync();
        _ = openssl.StandardOutput.ReadToEndAsync();
        await openssl.WaitForExitAsync();
        if (openssl.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {args[0]} failed: {await stderr}");
        }
    }
}

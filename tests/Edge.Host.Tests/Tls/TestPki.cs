using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Edge.Host.Tests.Tls;

/// <summary>
/// A throw-away certificate authority, as an operator would make one with openssl but made here with .NET's own
/// CertificateRequest (so the tests need no openssl binary): a CA, server certificates for 127.0.0.1/localhost and
/// client certificates, all PEM files in a temp directory.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private readonly X509Certificate2 _ca;
    private int _serial;

    private TestPki(string dir, X509Certificate2 ca)
    {
        Dir = dir;
        _ca = ca;
    }

    public string Dir { get; }

    public string CaFile => Path.Combine(Dir, "ca.pem");

    public static async Task<TestPki> CreateAsync(string name = "edge-test-ca")
    {
        var dir = Directory.CreateTempSubdirectory("edge-pki-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
        var pki = new TestPki(dir, ca);
        await File.WriteAllTextAsync(pki.CaFile, ca.ExportCertificatePem());
        return pki;
    }

    /// <summary>A certificate signed by this CA: for 127.0.0.1 and localhost when <paramref name="server"/>, else for client authentication.</summary>
    public async Task<(string Cert, string Key)> IssueAsync(string name, bool server)
    {
        var n = Interlocked.Increment(ref _serial);
        var (certPath, keyPath) = (Path.Combine(Dir, $"{name}-{n}.pem"), Path.Combine(Dir, $"{name}-{n}.key"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], critical: false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        // Within the CA's own validity (a leaf may not outlive its issuer).
        using var certificate = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-1), new DateTimeOffset(_ca.NotAfter.ToUniversalTime()).AddHours(-1), [0x10, (byte)n]);
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
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
        _ca.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using Sluice.Ssl;

namespace Sluice.Tests.Ssl;

public sealed class CipherStringsTests
{
    [Theory]
    [InlineData("HIGH:!aNULL:!MD5", true)]
    [InlineData("DEFAULT", true)]
    [InlineData("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384", true)]
    [InlineData("ECDHE+AESGCM:!aNULL", true)]
    [InlineData("FOO:ECDHE-RSA-AES128-GCM-SHA256", true)]
    [InlineData("ALL:-ALL:HIGH", true)]
    [InlineData("ALL:@SECLEVEL=2", true)]
    [InlineData("FOO", false)]
    [InlineData("FOO:BAR", false)]
    [InlineData("!HIGH", false)]
    [InlineData("ALL:!ALL:HIGH", false)]
    [InlineData("eNULL+AESGCM", false)]
    [InlineData("ECDH:!kECDHE", false)]
    [InlineData("DH:!kDHE", false)]
    [InlineData("ecdhe-rsa-aes128-gcm-sha256", false)]
    [InlineData("TLS_AES_128_GCM_SHA256", false)]
    [InlineData("", false)]
    public void Tells_whether_any_cipher_is_selected(string cipherString, bool selects) =>
        Assert.Equal(selects, CipherStrings.SelectsAny(cipherString));
}

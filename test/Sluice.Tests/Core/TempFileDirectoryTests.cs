using Sluice.Core;

namespace Sluice.Tests.Core;

public sealed class TempFileDirectoryTests
{
    [Theory]
    [InlineData(new int[0], "/spool/0000000123")]
    [InlineData(new[] { 1 }, "/spool/3/0000000123")]
    [InlineData(new[] { 1, 2 }, "/spool/3/12/0000000123")]
    [InlineData(new[] { 2, 2, 2 }, "/spool/23/01/00/0000000123")]
    public void Names_files_as_nginx_spreads_them_over_the_hash_levels(int[] levels, string expected) =>
        Assert.Equal(expected, new TempFileDirectory("/spool/", [.. levels]).FileName(123));

    [Fact]
    public void A_new_file_is_unlinked_at_once_and_its_directories_made()
    {
        var root = Path.Combine(Path.GetTempPath(), "sluice-temp-" + Guid.NewGuid().ToString("N"));
        try
        {
            var directory = new TempFileDirectory(root, [1, 2]);
            using var file = directory.Create(out var name);
            Assert.StartsWith(root + "/", name, StringComparison.Ordinal);
            Assert.False(File.Exists(name));
            Assert.True(Directory.Exists(Path.GetDirectoryName(name)));
            RandomAccess.Write(file, "kept by the handle"u8, 0);
            var back = new byte[18];
            Assert.Equal(18, RandomAccess.Read(file, back, 0));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

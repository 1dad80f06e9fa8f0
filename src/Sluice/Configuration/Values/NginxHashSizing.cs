using System.Text;

namespace Sluice.Configuration.Values;

/// <summary>
/// nginx's <c>ngx_hash_init</c> sizing rules, which turn into configuration errors operators meet (<c>could not
/// build map_hash, you should increase map_hash_bucket_size: 64</c> for a key longer than 46 bytes). Sluice looks
/// keys up in ordinary dictionaries, but a configuration nginx refuses must be refused here too, with the same
/// words. The messages carry no file:line: nginx logs them outside the directive.
/// </summary>
public static class NginxHashSizing
{
    private const int PointerSize = 8;
    private const int CacheLineSize = 64;

    /// <summary>nginx's <c>ngx_align(size, ngx_cacheline_size)</c>, applied to configured bucket sizes.</summary>
    public static long AlignBucketSize(long size) => (size + CacheLineSize - 1) & ~(long)(CacheLineSize - 1);

    /// <summary>
    /// Checks that <paramref name="keys"/> (already lowercased, as nginx hashes them) fit a hash named
    /// <paramref name="name"/>; throws nginx's error, or returns its warning when only a non-optimal hash fits.
    /// </summary>
    public static string? Check(string name, IReadOnlyCollection<string> keys, long maxSize, long bucketSize)
    {
        if (maxSize == 0)
        {
            throw new ConfigException($"could not build {name}, you should increase {name}_max_size: {maxSize}");
        }

        if (bucketSize > 65536 - CacheLineSize)
        {
            throw new ConfigException($"could not build {name}, too large {name}_bucket_size: {bucketSize}");
        }

        var elements = keys.Select(k => (Hash: Hash(k), Size: ElementSize(k))).ToList();
        if (elements.Any(e => bucketSize < e.Size + PointerSize))
        {
            throw new ConfigException($"could not build {name}, you should increase {name}_bucket_size: {bucketSize}");
        }

        var usable = bucketSize - PointerSize;
        var start = Math.Max(1, elements.Count / (usable / (2 * PointerSize)));
        if (maxSize > 10000 && elements.Count > 0 && maxSize / elements.Count < 100)
        {
            start = maxSize - 1000;
        }

        for (var size = start; size <= maxSize; size++)
        {
            if (Fits(elements, size, usable))
            {
                return null;
            }
        }

        return $"could not build optimal {name}, you should increase either {name}_max_size: {maxSize} or {name}_bucket_size: {bucketSize}; ignoring {name}_bucket_size";
    }

    private static bool Fits(List<(ulong Hash, int Size)> elements, long size, long usable)
    {
        var buckets = new long[size];
        foreach (var (hash, elementSize) in elements)
        {
            var bucket = (long)(hash % (ulong)size);
            buckets[bucket] += elementSize;
            if (buckets[bucket] > usable)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>NGX_HASH_ELT_SIZE</c>: a value pointer, a length and the key, aligned to a pointer.</summary>
    private static int ElementSize(string key) => PointerSize + ((Encoding.UTF8.GetByteCount(key) + 2 + PointerSize - 1) & ~(PointerSize - 1));

    /// <summary><c>ngx_hash_key</c>: <c>key * 31 + byte</c> over the bytes.</summary>
    private static ulong Hash(string key)
    {
        ulong hash = 0;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            hash = (hash * 31) + b;
        }

        return hash;
    }
}

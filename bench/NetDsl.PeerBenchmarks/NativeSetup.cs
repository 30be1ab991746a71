using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace NetDsl.PeerBenchmarks;

/// <summary>
/// What the peers need before their first call on this machine (see /work/shared/PEERS.md): TorchSharp's
/// <c>libLibTorchSharp.so</c> made loadable on Debian 12's libstdc++, and glibc's malloc thresholds raised.
/// </summary>
internal static partial class NativeSetup
{
    /// <summary>The one version that TorchSharp 0.107.0's native library needs and Debian 12 lacks (GCC 13's marker).</summary>
    private const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>
    /// Marks the <see cref="MissingVersion"/> requirement weak in every copy of <c>libLibTorchSharp.so</c> under this
    /// program's own directory (the build output, never the NuGet package cache). Idempotent; returns what it did.
    /// </summary>
    public static string PatchTorchSharpInOutput()
    {
        string root = AppContext.BaseDirectory;
        var report = new StringBuilder();
        foreach (string path in Directory.EnumerateFiles(root, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            string full = Path.GetFullPath(path);
            if (!full.StartsWith(Path.GetFullPath(root), StringComparison.Ordinal) || new FileInfo(full).LinkTarget is not null)
                throw new InvalidOperationException($"{full} is not a plain file in the build output: refusing to patch it.");
            report.Append(Path.GetRelativePath(root, full)).Append(": ").Append(ElfVersionPatcher.MarkVersionWeak(full, MissingVersion)).Append("; ");
        }
        return report.Length == 0 ? "libLibTorchSharp.so not found in the output" : report.ToString().TrimEnd(' ', ';');
    }

    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    /// <summary>The thresholds set by <see cref="RaiseMallocThresholds"/>.</summary>
    public const int MmapThreshold = 32 << 20, TrimThreshold = 1 << 30;

    /// <summary>
    /// Raises glibc's mmap and trim thresholds (mallopt) so libtorch reuses freed blocks instead of taking fresh pages
    /// on every call: the peer's best case. 32 MiB is the largest mmap threshold glibc accepts on 64-bit.
    /// </summary>
    public static bool RaiseMallocThresholds() =>
        MallOpt(M_MMAP_THRESHOLD, MmapThreshold) == 1 & MallOpt(M_TRIM_THRESHOLD, TrimThreshold) == 1;

    /// <summary>The path from which a native library whose file name contains <paramref name="name"/> was mapped into this process.</summary>
    public static string? LoadedFrom(string name)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0 && line.AsSpan(slash).EndsWith(name, StringComparison.Ordinal))
                return line[slash..];
        }
        return null;
    }
}

/// <summary>
/// Sets <c>VER_FLG_WEAK</c> on one needed version in an ELF64 little-endian shared object's <c>.gnu.version_r</c>
/// section, so the dynamic loader accepts a library that lacks that version (symbols bound to it must then be unused).
/// </summary>
internal static class ElfVersionPatcher
{
    private const uint SHT_GNU_verneed = 0x6ffffffe;
    private const ushort VER_FLG_WEAK = 0x2;

    public static string MarkVersionWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{path} is not a little-endian ELF64 file.");
        ulong sectionTable = U64(elf, 0x28);
        int sectionSize = U16(elf, 0x3a), sectionCount = U16(elf, 0x3c);
        for (int s = 0; s < sectionCount; s++)
        {
            int header = checked((int)sectionTable + s * sectionSize);
            if (U32(elf, header + 4) != SHT_GNU_verneed)
                continue;
            int offset = checked((int)U64(elf, header + 0x18));
            int strings = checked((int)U64(elf, checked((int)sectionTable + (int)U32(elf, header + 0x28) * sectionSize) + 0x18));
            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            for (int need = offset; ; )
            {
                int count = U16(elf, need + 2);
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                for (int aux = need + (int)U32(elf, need + 8), a = 0; a < count; a++)
                {
                    if (CString(elf, strings + (int)U32(elf, aux + 8)) == version)
                    {
                        ushort flags = U16(elf, aux + 4);
                        if ((flags & VER_FLG_WEAK) != 0)
                            return $"{version} already weak";
                        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(aux + 4), (ushort)(flags | VER_FLG_WEAK));
                        string temporary = path + ".patching";
                        File.WriteAllBytes(temporary, elf);
                        File.Move(temporary, path, overwrite: true);
                        return $"{version} marked weak";
                    }
                    aux += (int)U32(elf, aux + 12);
                }
                uint next = U32(elf, need + 12);
                if (next == 0)
                    break;
                need += (int)next;
            }
            return $"{version} not required";
        }
        return "no .gnu.version_r section";
    }

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
    private static string CString(byte[] b, int at) => Encoding.ASCII.GetString(b, at, Array.IndexOf(b, (byte)0, at) - at);
}

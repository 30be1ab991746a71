using System;
using TorchSharp;

namespace NetDsl.PeerBenchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.WriteLine(NativeSetup.PatchTorchSharpInOutput());
        Console.WriteLine(NativeSetup.RaiseMallocThresholds());
        var t = torch.ones(3, 3);
        Console.WriteLine(t.sum().item<float>());
        Console.WriteLine(NativeSetup.LoadedFrom("libLibTorchSharp.so"));
        Console.WriteLine(NativeSetup.LoadedFrom("libtorch_cpu.so"));
        return 0;
    }
}

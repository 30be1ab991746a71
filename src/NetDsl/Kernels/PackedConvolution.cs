using System;
using System.Runtime.CompilerServices;

namespace NetDsl.Kernels;

/// <summary>
/// A convolution's filters transformed once for the Winograd F(2×2, 5×5) forward pass (<c>G g Gᵀ</c> for every filter,
/// with the bias beside them), which <see cref="Convolution.Conv2DForward{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in Conv2DGeometry, int, Span{float}, TActivation, PackedConvolution?)"/>
/// otherwise computes on every call.
/// </summary>
/// <remarks>
/// A copy, taken when it is made (see <see cref="PackedWeights"/> for why only a generated network's <c>Predictor</c>
/// keeps one). On a shape or machine where the forward pass is not Winograd it holds nothing and is ignored. What it
/// saves: the transform of the CNN's second layer (16 → 32 channels), about 4 µs a call, which at batch 1 is about 7 %
/// of the whole network's forward pass.
/// </remarks>
public sealed unsafe class PackedConvolution
{
    // Pinned (on the pinned object heap), so the aligned start never moves; null when the forward pass is not Winograd here.
    private readonly float[]? _buffer;
    private readonly Conv2DGeometry _geometry;

    /// <summary>Transforms <paramref name="weight"/> <c>[O, C, 5, 5]</c> and copies <paramref name="bias"/> (<c>[O]</c>, or empty) for a layer of <paramref name="geometry"/>.</summary>
    /// <exception cref="ArgumentException">A length does not match the geometry.</exception>
    public PackedConvolution(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, in Conv2DGeometry geometry)
    {
        Guard.Length(weight.Length, geometry.OutChannels, geometry.InChannels * geometry.KernelHeight * geometry.KernelWidth, nameof(weight), "O·C·KH·KW");
        if (!bias.IsEmpty)
        {
            Guard.Length(bias.Length, 1, geometry.OutChannels, nameof(bias), "O (or empty)");
        }
        _geometry = geometry;
        if (!Convolution.WinogradPossible(in geometry, SimdDispatch.Best))
        {
            return;
        }
        int channels = geometry.OutChannels, filters = 36 * ConvolutionWinograd.FilterStride(geometry.InChannels, channels);
        _buffer = GC.AllocateArray<float>(filters + channels + 16, pinned: true);
        var transposed = new float[16 * geometry.InChannels * 25];
        fixed (float* w = weight, t = transposed)
        {
            ConvolutionWinograd.TransformFilters(w, Filters, t, geometry.InChannels, channels);
        }
        bias.CopyTo(new Span<float>(Filters + filters, channels));
    }

    /// <summary>Whether it holds transformed filters for this geometry (a Winograd shape, on a CPU with AVX-512).</summary>
    internal bool Covers(in Conv2DGeometry geometry) => _buffer is not null && _geometry == geometry;

    /// <summary>The transformed filters, 64-byte aligned, laid out as <see cref="ConvolutionWinograd.TransformFilters"/> writes them; the bias follows.</summary>
    internal float* Filters => PackBuffer.Align64((float*)Unsafe.AsPointer(ref _buffer![0]));
}

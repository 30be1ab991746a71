using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary><c>[Input(sizes...)]</c>: the shape of one sample. It computes nothing; it only starts shape inference.</summary>
internal static class InputLayer
{
    public static EquatableArray<int> Validate(LayerDeclaration declaration, ValidationContext context)
    {
        EquatableArray<int> shape = declaration.Find("Shape")?.Integers ?? default;
        if (shape.Count is < 1 or > 3)
        {
            context.Report(DiagnosticDescriptors.InvalidInputShape, declaration.Location, shape.Count);
            return default;
        }
        bool ok = true;
        foreach (int size in shape)
        {
            if (size <= 0)
            {
                context.Report(DiagnosticDescriptors.NonPositiveSize, declaration.Location, "A size", "Input", size);
                ok = false;
            }
        }
        if (ok && (long)shape[0] * (shape.Count > 1 ? shape[1] : 1) * (shape.Count > 2 ? shape[2] : 1) > int.MaxValue)
        {
            context.Report(DiagnosticDescriptors.InvalidInputShape, declaration.Location, shape.Count);
            ok = false;
        }
        return ok ? shape : default;
    }
}

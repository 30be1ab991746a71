using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary><c>[Input(size)]</c>: the shape of one sample. It computes nothing; it only starts shape inference.</summary>
internal static class InputLayer
{
    public static EquatableArray<int> Validate(LayerDeclaration declaration, ValidationContext context)
    {
        int size = declaration.GetInt("Size");
        if (size <= 0)
        {
            context.Report(DiagnosticDescriptors.NonPositiveSize, declaration.Location, "Size", "Input", size);
            return default;
        }
        return new EquatableArray<int>(new[] { size });
    }
}

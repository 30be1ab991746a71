using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NetDsl.Generators.Model;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>The values that flow between pipeline stages, and the enums the generator mirrors from the runtime.</summary>
public sealed class ModelTests
{
    /// <summary>Types that hold a compilation alive or change identity on every edit, and so defeat caching.</summary>
    private static readonly Type[] s_forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(SemanticModel), typeof(Compilation), typeof(SyntaxTree)];

    /// <summary>
    /// Walks every field reachable from the pipeline's values (through generic arguments, array elements and
    /// derived types) and fails if any could hold a symbol, syntax, location, semantic model or compilation, as
    /// System.Text.Json's generator tests do.
    /// </summary>
    [Fact]
    public void PipelineModels_HoldNoRoslynObjects()
    {
        Assembly generator = typeof(NetworkGenerator).Assembly;
        var roots = new[] { typeof(NetworkDeclaration), typeof(ValidationResult), typeof(NetworkModel), typeof(DiagnosticInfo) };
        var visited = new HashSet<Type>();
        var problems = new List<string>();
        var pending = new Stack<(Type Type, string Path)>(roots.Select(t => (t, t.Name)));

        while (pending.Count > 0)
        {
            (Type type, string path) = pending.Pop();
            if (!visited.Add(type))
                continue;
            if (s_forbidden.FirstOrDefault(f => f.IsAssignableFrom(type)) is { } forbidden)
            {
                problems.Add($"{path} is a {forbidden.Name}");
                continue;
            }
            if (type == typeof(object) || (type.IsInterface && type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true))
            {
                problems.Add($"{path} is {type.Name}, which can hide anything");
                continue;
            }
            if (type.IsPrimitive || type.IsEnum || type == typeof(string))
                continue;

            if (type.IsArray)
                pending.Push((type.GetElementType()!, path + "[]"));
            foreach (Type argument in type.GetGenericArguments())
                pending.Push((argument, $"{path}<{argument.Name}>"));
            // A field of an abstract or open type may hold any of its subclasses in the generator.
            foreach (Type derived in generator.GetTypes().Where(t => t != type && type.IsAssignableFrom(t) && !t.IsInterface))
                pending.Push((derived, $"{path} (as {derived.Name})"));
            if (type.Assembly == generator || type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true)
            {
                foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                    pending.Push((field.FieldType, $"{path}.{field.Name}"));
            }
        }

        Assert.True(problems.Count == 0, "The pipeline models must hold only plain values:\n" + string.Join("\n", problems));
        Assert.Contains(typeof(DenseLayerModel), visited); // the walk reached the derived layer models
        Assert.Contains(typeof(LocationInfo), visited);
    }

    [Theory]
    [InlineData(typeof(ActivationKind), typeof(NetDsl.Activation))]
    [InlineData(typeof(LossKind), typeof(NetDsl.Loss))]
    [InlineData(typeof(InitializerKind), typeof(NetDsl.Initializer))]
    public void MirroredEnums_MatchTheRuntime(Type mirror, Type runtime)
    {
        static List<(string, long)> Members(Type type) =>
            Enum.GetNames(type).Select(name => (name, Convert.ToInt64(Enum.Parse(type, name)))).OrderBy(m => m.Item2).ThenBy(m => m.name, StringComparer.Ordinal).ToList();

        Assert.Equal(Members(runtime), Members(mirror));
    }
}

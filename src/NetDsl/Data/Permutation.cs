using System;

namespace NetDsl.Data;

/// <summary>Sample orders: the identity order and seeded Fisher–Yates shuffles.</summary>
public static class Permutation
{
    /// <summary>Writes <c>0, 1, 2, ...</c> into <paramref name="order"/>.</summary>
    public static void Identity(Span<int> order)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
    }

    /// <summary>
    /// Shuffles <paramref name="order"/> in place with the Fisher–Yates algorithm: for <c>i</c> from the last
    /// position down to 1, swaps position <c>i</c> with position <c>random.Next(i + 1)</c>. Deterministic for a
    /// given state of <paramref name="random"/>. Allocates nothing.
    /// </summary>
    public static void Shuffle(Span<int> order, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>
    /// A new random permutation of <c>0 .. count - 1</c>: the identity order shuffled by
    /// <see cref="Shuffle"/> with <c>new Random(seed)</c>. The same count and seed always give the same permutation.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static int[] Create(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = new int[count];
        Identity(order);
        Shuffle(order, new Random(seed));
        return order;
    }
}

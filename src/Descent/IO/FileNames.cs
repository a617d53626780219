namespace Descent.IO;

/// <summary>Checks on the names and strings that the writers store as UTF-8.</summary>
internal static class FileNames
{
    /// <summary>
    /// The index of the first lone surrogate in <paramref name="s"/>, or -1. A string with one has no UTF-8 form: an
    /// encoder writes U+FFFD in its place, so the file would give back another string than the one saved.
    /// </summary>
    public static int LoneSurrogate(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (!char.IsSurrogate(s[i])) continue;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else return i;
        }
        return -1;
    }

    /// <summary>Throws when <paramref name="s"/> has a lone surrogate; <paramref name="what"/> says which string it is, for the message.</summary>
    public static void ThrowIfNotUtf8(string s, string what, string paramName)
    {
        int at = LoneSurrogate(s);
        if (at >= 0)
            throw new ArgumentException($"{what} has a lone surrogate U+{(int)s[at]:X4} at index {at}, which UTF-8 cannot encode", paramName);
    }
}

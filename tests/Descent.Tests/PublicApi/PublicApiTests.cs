using Descent.Tests.Docs;
using PublicApiGenerator;
using Xunit;

namespace Descent.Tests.PublicApi;

/// <summary>
/// The library's public API is committed as text (Descent.approved.txt), so that every change to it shows up in
/// review. When this test fails, it writes Descent.received.txt beside the approved file: look at the difference,
/// and if the change is meant, copy the received file over the approved one.
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void PublicApiIsTheApprovedOne()
    {
        var api = typeof(Tensor).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n");
        var folder = Path.Combine(DocSnippets.RepoRoot, "tests", "Descent.Tests", "PublicApi");
        var approvedPath = Path.Combine(folder, "Descent.approved.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        var receivedPath = Path.Combine(folder, "Descent.received.txt");
        if (api == approved)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, api);
        Assert.Fail($"The public API of Descent changed. Compare {receivedPath} with {approvedPath}; if the change is meant, copy the received file over the approved one.");
    }
}

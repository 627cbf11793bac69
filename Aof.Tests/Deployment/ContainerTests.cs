using System.Xml.Linq;

namespace Aof.Tests.Deployment;

/// <summary>
/// The .NET SDK container properties of the services (`dotnet publish -t:PublishContainer`): the image the publishers
/// name, port 8080 exposed, a non-root user, the resources inside the image for Container Apps.
/// </summary>
public sealed class ContainerTests
{
    [Theory]
    [InlineData("Aof.Gateway", "aof-gateway")]
    [InlineData("Aof.Worker", "aof-worker")]
    public void Services_publish_as_non_root_images_with_their_port_exposed(string project, string repository)
    {
        var csproj = XDocument.Load(Path.Combine(Publish.RepositoryRoot, project, project + ".csproj"));
        string? Property(string name) => csproj.Descendants(name).FirstOrDefault()?.Value;

        Assert.Equal(repository, Property("ContainerRepository"));
        Assert.Equal("app", Property("ContainerUser")); // the non-root user of .NET's images (uid 1654)
        Assert.Contains(csproj.Descendants("ContainerPort"), p => p.Attribute("Include")?.Value == "8080");
        Assert.Contains(csproj.Descendants("ContainerEnvironmentVariable"),
            e => e.Attribute("Include")?.Value == "HTTP_PORTS" && e.Attribute("Value")?.Value == "8080");
        Assert.Contains(csproj.Descendants("None"), n => n.Attribute("LinkBase")?.Value == "aof"
                                                         && n.Attribute("CopyToPublishDirectory")?.Value == "PreserveNewest");
    }
}

namespace Aof.AppHost.Hosting.Processes;

/// <summary>
/// Where the AppHost writes: its own messages prefixed "apphost", each child's lines prefixed with the replica's
/// name ("worker-0 | ..."), one line at a time so lines from different processes never interleave.
/// </summary>
public sealed class AppHostConsole(TextWriter writer)
{
    private const int NameWidth = 10;
    private readonly Lock _lock = new();

    public static AppHostConsole Standard { get; } = new(Console.Out);

    public void Log(string message) => Output("apphost", message);

    public void Output(string source, string line)
    {
        lock (_lock)
        {
            foreach (var part in line.Split('\n'))
                writer.WriteLine($"{source.PadRight(NameWidth)}| {part.TrimEnd('\r')}");
            writer.Flush();
        }
    }
}

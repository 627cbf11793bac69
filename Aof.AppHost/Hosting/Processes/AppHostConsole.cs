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

    /// <summary>
    /// Every line written, as (source, line), in the order written (raised under the write lock): the dashboard
    /// keeps recent lines per resource from it. Handlers must be quick and must not write to this console.
    /// </summary>
    public event Action<string, string>? LineWritten;

    public void Log(string message) => Output("apphost", message);

    public void Output(string source, string line)
    {
        lock (_lock)
        {
            foreach (var part in line.Split('\n'))
            {
                var text = part.TrimEnd('\r');
                writer.WriteLine($"{source.PadRight(NameWidth)}| {text}");
                LineWritten?.Invoke(source, text);
            }
            writer.Flush();
        }
    }
}

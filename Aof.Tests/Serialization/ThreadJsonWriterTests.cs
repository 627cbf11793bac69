using System.Text;
using System.Text.Json;
using Aof.Core.Serialization;

namespace Aof.Tests.Serialization;

/// <summary>The thread's reused writer: each call returns exactly what it wrote, however calls nest, fail or grow.</summary>
public sealed class ThreadJsonWriterTests
{
    private static string Write(string name, string value) =>
        Encoding.UTF8.GetString(ThreadJsonWriter.ToArray((name, value), 16, static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteString(s.name, s.value);
            w.WriteEndObject();
        }));

    [Fact]
    public void Consecutive_calls_return_only_their_own_output()
    {
        Assert.Equal("""{"a":"a long value that fills the buffer"}""", Write("a", "a long value that fills the buffer"));
        Assert.Equal("""{"b":"x"}""", Write("b", "x"));
    }

    [Fact]
    public void A_nested_call_gets_its_own_buffer_and_leaves_the_outer_output_intact()
    {
        var outer = ThreadJsonWriter.ToArray(0, 16, static (w, _) =>
        {
            w.WriteStartObject();
            w.WriteString("before", "1");
            w.WriteString("inner", Write("i", "nested"));
            w.WriteString("after", "2");
            w.WriteEndObject();
        });

        using var doc = JsonDocument.Parse(outer);
        Assert.Equal("1", doc.RootElement.GetProperty("before").GetString());
        Assert.Equal("""{"i":"nested"}""", doc.RootElement.GetProperty("inner").GetString());
        Assert.Equal("2", doc.RootElement.GetProperty("after").GetString());
    }

    [Fact]
    public void A_call_that_throws_midway_does_not_leak_into_the_next()
    {
        Assert.Throws<InvalidOperationException>(() => ThreadJsonWriter.ToArray(0, 16, static (w, _) =>
        {
            w.WriteStartObject();
            w.WriteString("half", "written");
            throw new InvalidOperationException("boom");
        }));

        Assert.Equal("""{"c":"clean"}""", Write("c", "clean"));
    }

    [Fact]
    public void A_huge_value_is_written_whole_and_later_calls_still_work()
    {
        var big = new string('x', 1024 * 1024);
        Assert.Equal(big.Length + """{"big":""}""".Length, ThreadJsonWriter.ToArray(big, 16, static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteString("big", s);
            w.WriteEndObject();
        }).Length);

        Assert.Equal("""{"d":"small"}""", Write("d", "small"));
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aof.Tests.ServiceDefaults;

/// <summary>
/// ASP.NET Core starts an Activity and a log scope per request whenever its request log category is enabled at any level
/// (it asks <c>IsEnabled(Critical)</c>), so the service defaults turn that category off unless the configuration sets it.
/// </summary>
public sealed class RequestLoggingTests
{
    private static bool RequestLoggingEnabled(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        foreach (var (key, value) in settings) builder.Configuration[key] = value;
        builder.AddServiceDefaults();
        using var app = builder.Build();
        return app.Services.GetRequiredService<ILoggerFactory>()
            .CreateLogger(ServiceDefaultsExtensions.RequestLogCategory).IsEnabled(LogLevel.Critical);
    }

    [Fact]
    public void The_request_log_category_is_off_by_default_even_with_every_other_category_on()
    {
        Assert.False(RequestLoggingEnabled(("Logging:LogLevel:Default", "Trace"), ("Logging:LogLevel:Microsoft.AspNetCore", "Trace")));
    }

    [Fact]
    public void A_level_set_for_the_request_log_category_is_honoured()
    {
        Assert.True(RequestLoggingEnabled(($"Logging:LogLevel:{ServiceDefaultsExtensions.RequestLogCategory}", "Information")));
    }
}

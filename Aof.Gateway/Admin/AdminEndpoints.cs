using Aof.Core.Executions;
using Aof.Core.Queue;
using Aof.Gateway.Webhooks;

namespace Aof.Gateway.Admin;

/// <summary>
/// The operator's API: execution records, queue depth, and the dead-letter queue (list, show, replay, purge).
/// Everything under <c>/api</c> goes through <see cref="AdminAuthFilter"/>.
/// </summary>
public static class AdminEndpoints
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public static RouteGroupBuilder MapAofAdmin(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.AddEndpointFilter<AdminAuthFilter>();
        api.AddEndpointFilter(async (ctx, next) =>
        {
            try
            {
                return await next(ctx);
            }
            catch (QueueUnavailableException ex)
            {
                return Error(StatusCodes.Status503ServiceUnavailable, $"queue unavailable: {ex.Message}");
            }
        });

        api.MapGet("/executions/{id}", GetExecutionAsync);
        api.MapGet("/queue/stats", GetQueueStatsAsync);
        api.MapGet("/dlq", ListDeadLettersAsync);
        api.MapGet("/dlq/{id}", GetDeadLetterAsync);
        api.MapPost("/dlq/{id}/replay", ReplayDeadLetterAsync);
        api.MapDelete("/dlq/{id}", PurgeDeadLetterAsync);
        api.MapAofApprovals();
        return api;
    }

    private static async Task<IResult> GetExecutionAsync(string id, IExecutionStore store, CancellationToken ct)
    {
        var record = await store.GetAsync(id, ct);
        return record is null
            ? Error(StatusCodes.Status404NotFound, $"no execution '{id}'")
            : Results.Json(record, AdminJsonContext.Default.ExecutionRecord);
    }

    private static async Task<IResult> GetQueueStatsAsync(IMessageQueue queue, CancellationToken ct)
    {
        var stats = await queue.GetStatsAsync(ct);
        return Results.Json(QueueStatsView.From(queue.Backend, stats), AdminJsonContext.Default.QueueStatsView);
    }

    private static async Task<IResult> ListDeadLettersAsync(HttpRequest request, IMessageQueue queue, CancellationToken ct)
    {
        if (!TryQueryInt(request, "offset", 0, out var offset) || offset < 0)
            return Error(StatusCodes.Status400BadRequest, "offset must be a non-negative integer");
        if (!TryQueryInt(request, "limit", DefaultPageSize, out var limit) || limit is < 1 or > MaxPageSize)
            return Error(StatusCodes.Status400BadRequest, $"limit must be an integer from 1 to {MaxPageSize}");

        var entries = await queue.DeadLetters.ListAsync(offset, limit, ct);
        var page = new DeadLetterPage(offset, limit, entries.Select(e => DeadLetterView.From(e, withBody: false)).ToList());
        return Results.Json(page, AdminJsonContext.Default.DeadLetterPage);
    }

    private static async Task<IResult> GetDeadLetterAsync(string id, IMessageQueue queue, CancellationToken ct)
    {
        var entry = await queue.DeadLetters.GetAsync(id, ct);
        return entry is null
            ? Error(StatusCodes.Status404NotFound, $"no dead letter '{id}'")
            : Results.Json(DeadLetterView.From(entry, withBody: true), AdminJsonContext.Default.DeadLetterView);
    }

    private static async Task<IResult> ReplayDeadLetterAsync(string id, IMessageQueue queue, IExecutionStore store, CancellationToken ct)
    {
        if (!await queue.DeadLetters.ReplayAsync(id, ct))
            return Error(StatusCodes.Status404NotFound, $"no dead letter '{id}'");
        await store.RecordRequeuedAsync(id, ct);
        return Results.Json(new DeadLetterActionResult(id, Replayed: true), AdminJsonContext.Default.DeadLetterActionResult);
    }

    private static async Task<IResult> PurgeDeadLetterAsync(string id, IMessageQueue queue, CancellationToken ct)
    {
        return await queue.DeadLetters.PurgeAsync(id, ct)
            ? Results.Json(new DeadLetterActionResult(id, Purged: true), AdminJsonContext.Default.DeadLetterActionResult)
            : Error(StatusCodes.Status404NotFound, $"no dead letter '{id}'");
    }

    private static bool TryQueryInt(HttpRequest request, string name, int fallback, out int value)
    {
        var raw = request.Query[name].ToString();
        if (string.IsNullOrEmpty(raw)) { value = fallback; return true; }
        return int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static IResult Error(int status, string message) =>
        Results.Json(new ErrorResponse(message), AdminJsonContext.Default.ErrorResponse, statusCode: status);
}

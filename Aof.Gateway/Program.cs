using Aof.Gateway;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddAofGateway();
var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAofGateway();
app.Run();

public partial class Program;

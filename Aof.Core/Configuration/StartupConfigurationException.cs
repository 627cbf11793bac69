namespace Aof.Core.Configuration;

/// <summary>
/// A setting the service cannot run with, found while the host starts (a secret variable that is empty, a
/// trigger whose platform has no secret). The host prints the message and exits with code 1.
/// </summary>
public class StartupConfigurationException(string message) : Exception(message);

namespace Aof.Gateway.Platforms.Common;

/// <summary>The platforms' configuration cannot work (an empty secret variable, a trigger without a secret...): the gateway does not start.</summary>
public sealed class PlatformConfigurationException(string message) : Aof.Core.Configuration.StartupConfigurationException(message);

// The whole node in one line: serve, invoke, functions, version (edge-host's CLI, HTTP API, journal and MQTT sync).
return await Edge.Host.EdgeHost.RunAsync(args, MyNode.EdgeFunctionTable.Instance);

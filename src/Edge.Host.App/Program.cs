return await Edge.Host.EdgeHost.RunAsync(args, Edge.Host.App.EdgeFunctionTable.Instance);

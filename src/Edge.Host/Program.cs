using Edge.Host;
using Edge.Host.Functions;

return await EdgeHost.RunAsync(args, EdgeFunctionTable.Instance);

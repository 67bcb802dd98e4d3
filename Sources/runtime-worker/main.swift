import PythonWorker

// The worker process of RuntimeCore: one session's interpreter.
RuntimeWorker.main(arguments: Array(CommandLine.arguments.dropFirst()))

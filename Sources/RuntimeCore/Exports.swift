@_exported import RuntimeJSON
@_exported import WorkerFrames

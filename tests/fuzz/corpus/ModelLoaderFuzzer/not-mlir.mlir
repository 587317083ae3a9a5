<?xml version="1.0"?><model>this is not MLIR</model>

"""Ad-break detection: features, logo mask, ONNX classifier, temporal decisions.

Heavy libraries (OpenCV, onnxruntime, PyAV) are imported by the modules that need
them, never here. The public streaming interface is :mod:`edge.detect.engine`.
"""

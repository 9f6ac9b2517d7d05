"""tf-step-lint: find the TensorFlow Estimator bugs that never raise, before the run starts."""

__version__ = "0.1.0"

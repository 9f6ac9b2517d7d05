"""Import one rule-doc example under the installed TensorFlow and print what happened as one JSON object.

    python import_harness.py EXAMPLE.py

For claims about a TensorFlow where the Estimator is gone: the example's module-level code is what runs.
"""
import importlib.util
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(example):
    import tensorflow as tf

    spec = importlib.util.spec_from_file_location("example", example)
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        result = {"outcome": "ok"}
    except Exception as error:  # the claim under test is exactly which exception
        result = {"outcome": "raised", "type": type(error).__name__, "message": str(error).splitlines()[0]}
    print(json.dumps({"tensorflow": tf.__version__, **result}))


if __name__ == "__main__":
    main(sys.argv[1])

"""Autofix output: spelled with the module's own aliases, minimal, byte-preserving and idempotent."""
import pytest

from tests.markers import fixed, reported
from tf_step_lint.engine import fix_source

BODY = '''

def model_fn(features, labels, mode):
    loss = features["x"]
    train_op = {optimizer}.minimize(loss)
    return {spec}(mode, loss=loss, train_op=train_op)
'''


@pytest.mark.parametrize("imports,optimizer,spec,step", [
    ("import tensorflow as tf", "tf.compat.v1.train.AdamOptimizer()", "tf.estimator.EstimatorSpec",
     "tf.compat.v1.train.get_or_create_global_step()"),
    ("import tensorflow.compat.v1 as tf1", "tf1.train.AdamOptimizer()", "tf1.estimator.EstimatorSpec",
     "tf1.train.get_or_create_global_step()"),
    ("import tensorflow as tf\ntfv1 = tf.compat.v1", "tfv1.train.AdamOptimizer()", "tf.estimator.EstimatorSpec",
     "tfv1.train.get_or_create_global_step()"),
    ("from tensorflow import compat", "compat.v1.train.AdamOptimizer()", "compat.v1.estimator.EstimatorSpec",
     "compat.v1.train.get_or_create_global_step()"),
])
def test_step_is_spelled_with_the_modules_alias(imports, optimizer, spec, step):
    source = imports + BODY.format(optimizer=optimizer, spec=spec)
    assert fixed(source) == source.replace("minimize(loss)", f"minimize(loss, global_step={step})")


def test_import_is_added_when_no_alias_exists_and_not_duplicated():
    source = ('"""Docstring."""\nfrom __future__ import annotations\n\nimport os\n'
              "from tensorflow.compat.v1.train import AdamOptimizer\nfrom tensorflow.estimator import EstimatorSpec\n"
              + BODY.format(optimizer="AdamOptimizer()", spec="EstimatorSpec")
              + BODY.replace("model_fn", "second_model_fn").format(optimizer="AdamOptimizer()", spec="EstimatorSpec"))
    result = fixed(source)
    assert result.count("import tensorflow.compat.v1 as tf\n") == 1
    assert result.index("import os") < result.index("import tensorflow.compat.v1 as tf")
    assert result.count("minimize(loss, global_step=tf.train.get_or_create_global_step())") == 2
    assert reported(result) == set()


def test_a_taken_tf_name_is_not_reused():
    source = ("from tensorflow.compat.v1.train import AdamOptimizer\nfrom tensorflow.estimator import EstimatorSpec\n"
              "tf = None\n" + BODY.format(optimizer="AdamOptimizer()", spec="EstimatorSpec"))
    result = fixed(source)
    assert "import tensorflow.compat.v1 as tf_v1\n" in result
    assert "global_step=tf_v1.train.get_or_create_global_step()" in result


def test_multiline_call_without_trailing_comma():
    body = BODY.format(optimizer="tf.compat.v1.train.AdamOptimizer()", spec="tf.estimator.EstimatorSpec")
    source = "import tensorflow as tf\n" + body.replace("minimize(loss)", "minimize(\n        loss\n    )")
    assert "minimize(\n        loss, global_step=tf.compat.v1.train.get_or_create_global_step()\n    )" in fixed(source)


@pytest.mark.parametrize("prefix,newline", [(b"", b"\r\n"), (b"\xef\xbb\xbf", b"\n"),
                                            (b"# -*- coding: latin-1 -*-\n", b"\n")])
def test_bytes_outside_the_fix_are_kept(prefix, newline):
    source = prefix + (
        "import tensorflow as tf  # caf\xe9\n"
        + BODY.format(optimizer="tf.compat.v1.train.AdamOptimizer()", spec="tf.estimator.EstimatorSpec")
    ).encode("latin-1" if b"latin-1" in prefix else "utf-8").replace(b"\n", newline)
    result = fix_source(source)
    step = b"tf.compat.v1.train.get_or_create_global_step()"
    expected = source.replace(b"minimize(loss)", b"minimize(loss, global_step=" + step + b")")
    assert result.source == expected and len(result.fixed) == 1 and result.findings == []
    assert fix_source(result.source).source == result.source  # idempotent


def test_file_without_fixable_findings_is_byte_identical():
    source = b"import tensorflow as tf\n\n\ndef f(x):\n    return x  \t\n"
    assert fix_source(source).source == source


def test_lone_cr_file_is_fixed_keeping_its_newlines():
    body = BODY.format(optimizer="tf.compat.v1.train.AdamOptimizer()", spec="tf.estimator.EstimatorSpec")
    source = ("import tensorflow as tf\n" + body).replace("\n", "\r").encode()
    result = fix_source(source)
    step = b"tf.compat.v1.train.get_or_create_global_step()"
    assert result.source == source.replace(b"minimize(loss)", b"minimize(loss, global_step=" + step + b")")
    assert (len(result.fixed), result.findings) == (1, [])


def test_a_file_libcst_cannot_print_back_is_reported_not_rewritten():
    body = BODY.format(optimizer="tf.compat.v1.train.AdamOptimizer()", spec="tf.estimator.EstimatorSpec")
    source = ("import tensorflow as tf\n" + body).encode()[:-1] + b"\r"  # LF lines, then a last lone CR
    result = fix_source(source)
    assert result.source == source
    assert [f.code for f in result.findings] == ["TSL000", "TSL101"]


def test_overlapping_fixes_are_applied_over_several_passes():
    source = ("import tensorflow as tf\n\n\ndef export(model_fn, fn):\n"
              "    est = tf.estimator.Estimator(model_fn=model_fn)\n"
              "    est.export_savedmodel('/tmp', fn, variables_to_save={}, strip_default_attrs=True)\n")
    assert fixed(source).endswith("    est.export_saved_model('/tmp', fn)\n")

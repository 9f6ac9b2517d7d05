"""A fix's title says what it inserts, spelled as it is inserted: an editor shows the title before the fix is
applied, so the two must never differ (the issue's case: a title spelled through tf.compat.v1 under `import
tensorflow.compat.v1 as tf`, which inserts `tf.train...`)."""
import re

import pytest

from tests.conftest import ROOT
from tf_step_lint.engine import fix_source, lint_file

V1_ALIAS = '''import tensorflow.compat.v1 as tf


def model_fn(features, labels, mode):
    loss = tf.reduce_sum(features)
    train_op = tf.train.AdamOptimizer(0.1).minimize(loss)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
'''


def test_the_step_fix_title_is_spelled_as_it_is_inserted():
    (finding,) = [f for f in lint_file(V1_ALIAS).findings if f.code == "TSL101"]
    assert finding.fix.title == "pass `global_step=tf.train.get_or_create_global_step()`"
    assert "global_step=tf.train.get_or_create_global_step()" in fix_source(V1_ALIAS.encode()).source.decode()


def test_a_fix_that_adds_an_import_says_so():
    source = (V1_ALIAS.replace("import tensorflow.compat.v1 as tf", "from tensorflow.compat.v1.train import "
                               "AdamOptimizer\nfrom tensorflow.estimator import EstimatorSpec")
              .replace("tf.reduce_sum(features)", "features").replace("tf.train.", "").replace("tf.estimator.", ""))
    (finding,) = [f for f in lint_file(source).findings if f.code == "TSL101"]
    assert finding.fix.title == ("pass `global_step=tf.train.get_or_create_global_step()` and add "
                                 "`import tensorflow.compat.v1 as tf`")
    assert "import tensorflow.compat.v1 as tf\n" in fix_source(source.encode()).source.decode()


SOURCES = sorted((ROOT / "examples").glob("*.py")) + sorted((ROOT / "tests" / "fixtures").rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_every_fix_has_a_title_whose_new_code_is_in_the_fixed_text(path):
    """Each `code` a title names, except what it removes, is in the text once the fix is applied alone."""
    source = path.read_bytes()
    for finding in lint_file(source).findings:
        if finding.fix is None:
            continue
        assert finding.fix.title, finding
        fixed = fix_source(source, unsafe=True).source.decode()
        for action, code in re.findall(r"(\w+:?) `([^`]+)`", finding.fix.title):
            if action not in ("remove", "replace"):
                assert " ".join(code.split()) in " ".join(fixed.split()), (finding.code, finding.fix.title)

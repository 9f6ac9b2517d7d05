"""The step analysis stays bounded on code whose helpers branch a lot (a real U-Net model took 4 GB before)."""
import ast

from tf_step_lint.analysis import Analysis
from tf_step_lint.analysis.flow import MAX_ALTERNATIVES
from tf_step_lint.target import DEFAULT

HELPER = '''
def block{n}(x, mode):
    if mode == "train":
        x = tf.layers.dropout(x)
    else:
        x = tf.identity(x)
    if x.shape[-1] > 8:
        x = tf.layers.dense(x, 8)
    else:
        x = tf.layers.dense(x, 16)
    return block{m}(x, mode)
'''

MODEL_FN = '''
def model_fn(features, labels, mode):
    x = features
{calls}
    loss = tf.reduce_mean(x)
    step = tf.train.get_global_step()
    train_op = tf.train.AdamOptimizer().minimize(loss, global_step=step)
    train_op = tf.group(train_op, step.assign_add(1))
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

estimator = tf.estimator.Estimator(model_fn)
'''


def _source(helpers: int) -> str:
    chain = "".join(HELPER.format(n=n, m=n + 1) for n in range(helpers))
    last = f"\ndef block{helpers}(x, mode):\n    return x\n"
    calls = "\n".join(f"    x = block{n}(x, mode)" for n in range(helpers))
    return "import tensorflow.compat.v1 as tf\n" + chain + last + MODEL_FN.format(calls=calls)


def test_branching_helpers_give_few_distinct_increment_sets():
    """Three helper calls, each with four ways through a chain of helpers, multiply into 262,144 raw combinations;
    all of them have the same two increments."""
    source = _source(3)
    analysis = Analysis(ast.parse(source), source, frozenset(), DEFAULT)
    model_fn = next(f for f in analysis.index.functions if f.node.name == "model_fn")
    spec = next(c for c in model_fn.calls if analysis.names.symbol(c.func) is not None
                and analysis.names.symbol(c.func).kind == "estimator_spec")
    train_op = next(k.value for k in spec.keywords if k.arg == "train_op")
    sets = analysis.sure_increments.double_increments(train_op, model_fn)
    assert len(sets) <= MAX_ALTERNATIVES
    assert {len(s) for s in sets} == {2}

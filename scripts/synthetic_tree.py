"""A deterministic synthetic source tree for the benchmark: plain Python plus ~8% Estimator training code.

The same arguments always give the same bytes (a seeded RNG, no clock, no fetched code), so anyone can reproduce
the benchmark's figures.  Training files go under ``training/`` so the benchmark can also time "every file needs
analysis" on that folder alone.
"""
import random
import re
from pathlib import Path

_PLAIN_FUNCTION = '''
def {name}(records, limit={limit}, *, strict=False):
    """Summarise ``records`` into buckets of at most ``limit`` items."""
    buckets = {{}}
    for index, record in enumerate(records):
        key = (record.get("{key}") or "unknown").lower()
        if strict and key == "unknown":
            raise ValueError(f"record {{index}} has no {key}")
        bucket = buckets.setdefault(key, [])
        if len(bucket) < limit:
            bucket.append({{k: v for k, v in record.items() if not k.startswith("_")}})
    totals = sorted(((len(v), k) for k, v in buckets.items()), reverse=True)
    return [k for _, k in totals[:{top}]], buckets
'''

_PLAIN_CLASS = '''
class {name}:
    """A small cache with an eviction policy, as real utility modules have them."""

    def __init__(self, capacity={capacity}):
        self.capacity = capacity
        self._items = {{}}
        self._order = []

    def get(self, key, default=None):
        if key in self._items:
            self._order.remove(key)
            self._order.append(key)
            return self._items[key]
        return default

    def put(self, key, value):
        if key not in self._items and len(self._items) >= self.capacity:
            oldest = self._order.pop(0)
            del self._items[oldest]
        self._items[key] = value
        if key in self._order:
            self._order.remove(key)
        self._order.append(key)

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return "{name}(%d/%d)" % (len(self), self.capacity)
'''

_PLAIN_HEADER = '''"""Module {index}: data utilities."""
import collections
import json
import os
from typing import Dict, List

CONSTANT_{index} = {value}
'''

_TRAINING = '''"""Training job {index}: an Estimator with a custom model_fn."""
import tensorflow as tf
import tensorflow.compat.v1 as tf1

FLAGS_{index} = {{"learning_rate": {lr}, "hidden": {hidden}, "steps": {steps}}}


def dense_block(x, units, name):
    with tf1.variable_scope(name):
        w = tf1.get_variable("w", [x.shape[-1], units])
        b = tf1.get_variable("b", [units], initializer=tf1.zeros_initializer())
        return tf.nn.relu(tf.matmul(x, w) + b)


def input_fn(params):
    features = tf.random.normal([{batch}, {width}])
    labels = tf.reduce_sum(features, axis=1, keepdims=True)
    dataset = tf.data.Dataset.from_tensors((features, labels)).repeat()
    return dataset.prefetch(2)


def model_fn(features, labels, mode, params):
    hidden = dense_block(features, params["hidden"], "layer_0")
    for depth in range(1, {depth}):
        hidden = dense_block(hidden, params["hidden"], "layer_%d" % depth)
    predictions = tf1.layers.dense(hidden, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={{"y": predictions}})
    loss = tf1.losses.mean_squared_error(labels, predictions)
    global_step = tf1.train.get_or_create_global_step()
    learning_rate = tf1.train.exponential_decay(params["learning_rate"], global_step, 1000, 0.96)
    optimizer = tf1.train.{optimizer}(learning_rate)
    train_op = optimizer.minimize(loss, global_step=global_step)
    tf1.summary.scalar("loss", loss)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def serving_input_receiver_fn():
    inputs = tf1.placeholder(tf.float32, [None, {width}])
    return tf.estimator.export.ServingInputReceiver({{"x": inputs}}, {{"x": inputs}})


def train_and_export(model_dir, export_dir):
    estimator = tf.estimator.Estimator(model_fn, model_dir=model_dir, params=FLAGS_{index})
    estimator.train(lambda: input_fn(FLAGS_{index}), max_steps=FLAGS_{index}["steps"])
    return estimator.export_saved_model(export_dir, serving_input_receiver_fn)
'''

_OPTIMIZERS = ("AdamOptimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdagradOptimizer")


def plain_module(rng: random.Random, index: int, units: int) -> str:
    parts = [_PLAIN_HEADER.format(index=index, value=rng.randint(1, 10_000))]
    for unit in range(units):
        template = _PLAIN_CLASS if rng.random() < 0.4 else _PLAIN_FUNCTION
        parts.append(template.format(name=f"{'Cache' if template is _PLAIN_CLASS else 'summarise'}_{index}_{unit}",
                                     limit=rng.randint(2, 50), key=rng.choice(("name", "kind", "label", "owner")),
                                     top=rng.randint(1, 9), capacity=rng.randint(8, 512)))
    return "".join(parts)


def training_module(rng: random.Random, index: int) -> str:
    optimizer = rng.choice(_OPTIMIZERS)
    text = _TRAINING.format(index=index, lr=rng.choice((0.1, 0.01, 0.001)), hidden=rng.choice((32, 64, 128)),
                            steps=rng.randint(100, 10_000), batch=rng.choice((8, 16, 32)), width=rng.randint(2, 16),
                            depth=rng.randint(2, 5), optimizer=optimizer)
    if optimizer == "MomentumOptimizer":  # the one that needs a second argument
        text = text.replace("MomentumOptimizer(learning_rate)", "MomentumOptimizer(learning_rate, momentum=0.9)")
    return text


def write_tree(root: Path, files: int, training_share: float = 0.08, seed: int = 0) -> None:
    """``files`` modules under ``root`` (which must not exist), ``training_share`` of them Estimator code."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    training = round(files * training_share)
    training_indices = set(rng.sample(range(files), training))
    for index in range(files):
        package = root / ("training" if index in training_indices else f"pkg_{index % 40:02d}")
        package.mkdir(exist_ok=True)
        if index in training_indices:
            text = training_module(rng, index)
        else:
            text = plain_module(rng, index, units=rng.randint(2, 14))
        (package / f"module_{index:05d}.py").write_text(text)


def write_big_file(path: Path, lines: int, seed: int = 0) -> None:
    """One Estimator module of about ``lines`` lines: training code followed by plain functions and classes."""
    rng = random.Random(seed)
    parts = [training_module(rng, 0)]
    count = parts[0].count("\n")
    unit = 0
    while count < lines:
        text = plain_module(rng, unit, units=4).split("\n", 7)[-1]  # without the module header
        parts.append(text)
        count += text.count("\n")
        unit += 1
    path.write_text("".join(parts))


def write_training_file(path: Path, lines: int, seed: int = 0) -> None:
    """One module of about ``lines`` lines of Estimator training code only, as an editor re-analyses it: the
    training modules of the tree one after another, their imports once, each one's functions named apart."""
    rng = random.Random(seed)
    parts, count, index = [], 0, 0
    while count < lines:
        text = training_module(rng, index)
        if parts:
            text = "\n".join(line for line in text.split("\n")[1:] if not line.startswith(("import ", "from ")))
            for name in re.findall(r"^def (\w+)\(", text, re.MULTILINE):
                text = re.sub(rf"\b{name}\b", f"{name}_{index}", text)
        parts.append(text)
        count += text.count("\n")
        index += 1
    path.write_text("".join(parts))

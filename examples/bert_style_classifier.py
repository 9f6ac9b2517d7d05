"""A BERT-era fine-tuning script: the model_fn is a closure, and the train op is built in a helper.

`create_train_op` never passes the global step, so `estimator.train(max_steps=...)` never returns and every
checkpoint holds the initial weights (TSL101).
"""
import tensorflow.compat.v1 as tf


def create_train_op(loss, learning_rate, use_tpu):
    optimizer = tf.train.AdamOptimizer(learning_rate, epsilon=1e-6)
    if use_tpu:
        optimizer = tf.tpu.CrossShardOptimizer(optimizer)
    tvars = tf.trainable_variables()
    grads = tf.gradients(loss, tvars)
    grads, _ = tf.clip_by_global_norm(grads, clip_norm=1.0)
    return optimizer.apply_gradients(zip(grads, tvars))


def model_fn_builder(num_labels, learning_rate, use_tpu):
    def model_fn(features, labels, mode, params):
        pooled = tf.layers.dense(features["embeddings"], 768, activation=tf.tanh)
        logits = tf.layers.dense(pooled, num_labels)
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        if mode == tf.estimator.ModeKeys.TRAIN:
            train_op = create_train_op(loss, learning_rate, use_tpu)
            return tf.estimator.tpu.TPUEstimatorSpec(mode=mode, loss=loss, train_op=train_op)
        return tf.estimator.tpu.TPUEstimatorSpec(mode=mode, loss=loss)

    return model_fn


def main(_):
    run_config = tf.estimator.tpu.RunConfig(model_dir="/tmp/classifier")
    estimator = tf.estimator.tpu.TPUEstimator(
        model_fn=model_fn_builder(num_labels=2, learning_rate=2e-5, use_tpu=False),
        config=run_config,
        use_tpu=False,
        train_batch_size=32,
    )
    return estimator


if __name__ == "__main__":
    tf.app.run()

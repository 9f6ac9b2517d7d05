"""Correct Estimator code that looks suspicious: a hand-incremented step and a GAN that passes None on purpose.

tf-step-lint reports nothing here.
"""
import tensorflow.compat.v1 as tf


def model_fn(features, labels, mode, params):
    loss = tf.reduce_mean(tf.square(tf.layers.dense(features["x"], 1) - labels))
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(params["lr"]).minimize(loss)
    train_op = tf.group(train_op, [global_step.assign(global_step + 1)])
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def gan_model_fn(features, labels, mode, params):
    d_loss = tf.reduce_mean(features["real"])
    g_loss = tf.reduce_mean(features["fake"])
    d_train = tf.train.AdamOptimizer(1e-4).minimize(d_loss, global_step=None)
    g_train = tf.train.AdamOptimizer(1e-4).minimize(g_loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=g_loss, train_op=tf.group(d_train, g_train))


estimator = tf.estimator.Estimator(model_fn, params={"lr": 0.01})
gan = tf.estimator.Estimator(gan_model_fn, params={})

"""The pre-commit hooks, for real: `pre-commit try-repo` on a temporary git repository."""
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import BUGGY, ROOT


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory):
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    env.pop("PRE_COMMIT", None)
    return env


def _try_repo(hook, repo, env):
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_check_hook_fails_on_the_bug_and_passes_after_the_fix_hook(tmp_path, hook_env):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "train.py").write_text(BUGGY)
    shutil.copy(ROOT / "tests" / "fixtures" / "notebooks" / "jupyter_estimator.ipynb", tmp_path / "train.ipynb")
    (tmp_path / "README.txt").write_text("not python\n")
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)

    check = _try_repo("tf-step-lint", tmp_path, hook_env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "train.py:6:54: TSL101" in check.stdout
    assert "train.ipynb:cell 4:8:26: TSL101" in check.stdout  # types_or: [python, jupyter]

    fix = _try_repo("tf-step-lint-fix", tmp_path, hook_env)
    assert fix.returncode == 1 and "files were modified by this hook" in fix.stdout, fix.stdout + fix.stderr
    assert "global_step=tf.compat.v1.train.get_or_create_global_step()" in (tmp_path / "train.py").read_text()
    assert "global_step=tf.compat.v1.train.get_or_create_global_step()" in (tmp_path / "train.ipynb").read_text()

    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    again = _try_repo("tf-step-lint", tmp_path, hook_env)
    assert again.returncode == 0, again.stdout + again.stderr

"""Jupyter notebooks: linted as one module of their code cells, located by cell, fixed in their cells' sources only."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, run_cli
from tests.test_output import SARIF_SCHEMA

NOTEBOOKS = ROOT / "tests" / "fixtures" / "notebooks"
STEP = "tf.compat.v1.train.get_or_create_global_step()"


def notebook(*sources, kernel="python", cell_type="code", **extra) -> str:
    """A notebook as Jupyter writes it (indent 1, sorted keys, final newline), one cell per source."""
    cells = [{"cell_type": cell_type, "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": source if isinstance(source, (list, str)) and not isinstance(source, tuple) else list(source)}
             if cell_type == "code" else {"cell_type": cell_type, "id": f"c{i}", "metadata": {}, "source": source}
             for i, source in enumerate(sources)]
    data = {"cells": cells, "metadata": {"kernelspec": {"language": kernel, "name": kernel}}, "nbformat": 4,
            "nbformat_minor": 5, **extra}
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


IMPORTS = ["import tensorflow as tf"]
MODEL_FN = ["def model_fn(features, labels, mode):\n",
            "    loss = tf.reduce_sum(features)\n",
            "    train_op = tf.compat.v1.train.AdamOptimizer(0.1).minimize(loss)\n",
            "    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)\n",
            "def input_fn():\n",
            "    return tf.data.Dataset.from_tensors(([1.0], [1.0])).repeat()"]
TRAIN = ["estimator = tf.estimator.Estimator(model_fn, model_dir='m')\n", "for epoch in range(3):\n",
         "    estimator.train(input_fn, max_steps=10)"]


def lines(result) -> list:
    return [line.split(" ")[:2] for line in result.stdout.splitlines()]


def _copy(tmp_path, name) -> Path:
    return Path(shutil.copy(NOTEBOOKS / name, tmp_path / name))


# -- what is linted ---------------------------------------------------------------------------------------
def test_notebooks_are_found_while_walking_and_when_named(tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(IMPORTS, MODEL_FN))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.ipynb").write_text(notebook(IMPORTS, MODEL_FN))
    found = lines(run_cli(".", "--no-cache", cwd=tmp_path))
    assert found == [["nb.ipynb:cell", "2:3:54:"], ["sub/other.ipynb:cell", "2:3:54:"]]
    assert lines(run_cli("nb.ipynb", "--no-cache", cwd=tmp_path)) == [["nb.ipynb:cell", "2:3:54:"]]


def test_exclude_and_per_file_ignores_apply_to_notebooks(tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(IMPORTS, MODEL_FN, TRAIN))
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "old.ipynb").write_text(notebook(IMPORTS, MODEL_FN))
    (tmp_path / "pyproject.toml").write_text('[tool.tf-step-lint]\nextend-exclude = ["drafts"]\n'
                                             'per-file-ignores = {"*.ipynb" = ["TSL101"]}\n')
    result = run_cli(".", "--no-cache", cwd=tmp_path)
    assert [line.split()[2] for line in result.stdout.splitlines()] == ["TSL108"]


def test_the_code_cells_form_one_module_in_cell_order(tmp_path):
    """The optimizer is built in cell 2, minimized in the model_fn of cell 4, and trained in a loop in cell 5;
    markdown and raw cells in between are not code."""
    cells = [{"cell_type": "code", "source": IMPORTS},
             {"cell_type": "code", "source": ["optimizer = tf.compat.v1.train.AdamOptimizer(0.1)"]},
             {"cell_type": "markdown", "source": ["optimizer.minimize(loss)  # prose, not code"]},
             {"cell_type": "code", "source": [line.replace("tf.compat.v1.train.AdamOptimizer(0.1)", "optimizer")
                                              for line in MODEL_FN]},
             {"cell_type": "code", "source": TRAIN},
             {"cell_type": "raw", "source": ["optimizer.minimize(loss)"]}]
    data = {"cells": [{"metadata": {}, **cell, **({"outputs": [], "execution_count": None}
                                                  if cell["cell_type"] == "code" else {})} for cell in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(data, indent=1))
    result = run_cli("nb.ipynb", "--no-cache", cwd=tmp_path)
    assert lines(result) == [["nb.ipynb:cell", "4:3:26:"], ["nb.ipynb:cell", "5:3:41:"]]
    assert [line.split()[2] for line in result.stdout.splitlines()] == ["TSL101", "TSL108"]


def test_ipython_syntax_never_breaks_the_analysis_and_is_never_changed(tmp_path):
    magic_cells = [["%matplotlib inline\n", "!pip install -q tensorflow\n", "files = !ls\n", "%load_ext autoreload\n",
                    "import tensorflow as tf\n", "tf?\n", "??tf.estimator\n", "if True:\n", "    !echo indented \\\n",
                    "        continued"],
                   ["%%time\n", *MODEL_FN],
                   ["%%bash\n", "echo 'optimizer.minimize(loss) is not Python here'\n"],
                   ["%%writefile helper.txt\n", "def broken(:\n"]]
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(*magic_cells))
    result = run_cli("nb.ipynb", "--no-cache", cwd=tmp_path)
    assert lines(result) == [["nb.ipynb:cell", "2:4:54:"]] and result.returncode == 1  # no TSL000 anywhere
    assert run_cli("nb.ipynb", "--no-cache", "--fix", cwd=tmp_path).returncode == 0
    fixed = json.loads(path.read_text())["cells"]
    assert [c["source"] for c in fixed[:1] + fixed[2:]] == [magic_cells[0]] + magic_cells[2:]
    assert fixed[1]["source"][0] == "%%time\n" and STEP in fixed[1]["source"][3]


def test_a_notebook_of_another_language_is_passed_over_with_a_note(tmp_path):
    (tmp_path / "r.ipynb").write_text(notebook(["library(tensorflow)\n", "x <- 1"], kernel="R"))
    result = run_cli("r.ipynb", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr == "tf-step-lint: r.ipynb: not linted: its kernel runs r, not Python\n"


def test_noqa_works_inside_a_cell(tmp_path):
    quiet = [line.replace("minimize(loss)", "minimize(loss)  # noqa: TSL101") for line in MODEL_FN]
    (tmp_path / "nb.ipynb").write_text(notebook(IMPORTS, quiet, TRAIN))
    assert [line.split()[2] for line in run_cli("nb.ipynb", "--no-cache", cwd=tmp_path).stdout.splitlines()] == [
        "TSL108"]


# -- where findings are shown -----------------------------------------------------------------------------
def test_json_carries_the_cell_and_validates_against_the_schema(tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(IMPORTS, MODEL_FN))
    result = run_cli("nb.ipynb", "--no-cache", "--format", "json", cwd=tmp_path)
    (finding,) = json.loads(result.stdout)
    schema = json.loads((ROOT / "docs" / "json-output.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(result.stdout))
    assert (finding["cell"], finding["line"], finding["column"], finding["end_column"]) == (2, 3, 54, 62)
    (edit,) = finding["fix"]["edits"]
    assert edit["cell"] == 2 and edit["start"] == {"line": 3, "column": 67}


def test_sarif_names_the_cell_as_a_logical_location_and_validates(tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(IMPORTS, MODEL_FN))
    log = json.loads(run_cli("nb.ipynb", "--no-cache", "--format", "sarif", cwd=tmp_path).stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    (result,) = log["runs"][0]["results"]
    (location,) = result["locations"]
    assert location["logicalLocations"] == [{"name": "cell 2", "fullyQualifiedName": "nb.ipynb:cell 2",
                                             "kind": "module"}]
    assert location["properties"] == {"cell": 2}
    assert location["physicalLocation"]["region"]["startLine"] == 3
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "nb.ipynb"


def test_github_annotates_the_notebook_file(tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(IMPORTS, MODEL_FN))
    (line,) = run_cli("nb.ipynb", "--no-cache", "--format", "github", cwd=tmp_path).stdout.splitlines()
    assert line.startswith("::error title=tf-step-lint (TSL101),file=nb.ipynb::nb.ipynb:cell 2:3:54: TSL101")


# -- fixing -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["jupyter_estimator.ipynb", "colab_estimator.ipynb"])
def test_fix_changes_only_the_source_of_the_fixed_cell(tmp_path, name):
    path = _copy(tmp_path, name)
    before = path.read_bytes()
    assert run_cli(name, "--no-cache", "--fix", cwd=tmp_path).returncode in (0, 1)
    after = path.read_bytes()
    old, new = json.loads(before), json.loads(after)
    changed = [i for i, (a, b) in enumerate(zip(old["cells"], new["cells"])) if a != b]
    assert len(changed) == 1 and old["cells"][changed[0]]["source"][7].strip().startswith("train_op")
    old["cells"][changed[0]]["source"] = new["cells"][changed[0]]["source"]
    assert old == new  # outputs, execution counts, metadata and ids as they were
    line = before.splitlines(keepends=True)
    kept = after.splitlines(keepends=True)
    (changed_line,) = [a for a, b in zip(line, kept) if a != b]  # one line of the file: the fixed source line
    assert len(line) == len(kept) and b"train_op = optimizer.minimize(loss)" in changed_line
    assert after.endswith(b"\n") == before.endswith(b"\n")  # Colab's missing final newline stays missing
    if name.startswith("colab"):
        assert b"\\u003c '2.16'" in after and "日本語".encode() in after


def test_fixed_notebook_is_written_atomically_and_a_second_fix_changes_nothing(tmp_path):
    path = _copy(tmp_path, "jupyter_estimator.ipynb")
    run_cli(path.name, "--no-cache", "--fix", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left beside it
    once = path.read_bytes()
    again = run_cli(path.name, "--no-cache", "--fix", cwd=tmp_path)
    assert again.returncode == 0 and path.read_bytes() == once


def test_diff_shows_the_change_per_cell(tmp_path):
    _copy(tmp_path, "colab_estimator.ipynb")
    result = run_cli("colab_estimator.ipynb", "--no-cache", "--diff", "--unsafe-fixes", cwd=tmp_path)
    diff = result.stdout
    assert diff.count("--- colab_estimator.ipynb:cell ") == 2
    assert "--- colab_estimator.ipynb:cell 4\n+++ colab_estimator.ipynb:cell 4\n" in diff
    assert f"+  train_op = optimizer.minimize(loss, global_step={STEP})  # the step never moves\n" in diff
    assert "+  estimator.train(input_fn, steps=5)\n" in diff
    assert (NOTEBOOKS / "colab_estimator.ipynb").read_bytes() == (tmp_path / "colab_estimator.ipynb").read_bytes()


def test_a_fix_that_would_touch_ipython_syntax_or_unreadable_json_layout_is_refused(tmp_path):
    path = tmp_path / "nb.ipynb"
    data = json.loads(notebook(IMPORTS, MODEL_FN))
    path.write_text(json.dumps(data, indent=1) + "\n")
    shared = json.loads(path.read_text())
    shared["metadata"]["copy"] = {"source": MODEL_FN}  # the same source twice: which one is the cell's?
    path.write_text(json.dumps(shared, indent=1))
    before = path.read_bytes()
    result = run_cli("nb.ipynb", "--no-cache", "--fix", cwd=tmp_path)
    assert result.returncode == 2 and "TSL000 not fixed: the cell's source cannot be told apart" in result.stdout
    assert path.read_bytes() == before


# -- bad notebooks ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("content, message", [
    (b"", "cannot read notebook: the file is empty"),
    (b'{"cells": [', "cannot read notebook: not JSON (Expecting value: line 1 column 12 (char 11))"),
    (b'{"nbformat": 3, "worksheets": []}', "cannot read notebook: nbformat 3, not 4 (convert it with"),
    (b'{"nbformat": 4, "metadata": {}}', "cannot read notebook: no 'cells' list"),
    (b'[1, 2]', "cannot read notebook: its JSON is not an object"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}',
     "cannot read notebook: cell 1's source is neither"),
])
def test_bad_notebooks_get_one_clear_line_and_lose_nothing(tmp_path, content, message):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    (tmp_path / "good.py").write_text("import tensorflow as tf\n")
    for args in ((), ("--fix",)):
        result = run_cli(".", "--no-cache", *args, cwd=tmp_path)
        assert result.returncode == 2
        (line,) = result.stdout.splitlines()
        assert line.startswith(f"bad.ipynb:1:1: TSL000 {message}"), line
        assert path.read_bytes() == content


def test_a_source_given_as_one_string_is_read_and_fixed_as_one_string(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook("import tensorflow as tf", "".join(MODEL_FN)))
    assert lines(run_cli("nb.ipynb", "--no-cache", cwd=tmp_path)) == [["nb.ipynb:cell", "2:3:54:"]]
    run_cli("nb.ipynb", "--no-cache", "--fix", cwd=tmp_path)
    source = json.loads(path.read_text())["cells"][1]["source"]
    assert isinstance(source, str) and STEP in source


def test_a_cell_with_a_syntax_error_is_left_out_and_the_others_are_still_checked(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(IMPORTS, ["def half_typed(:\n", "    pass"], MODEL_FN, TRAIN))
    result = run_cli("nb.ipynb", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2
    assert [line.split(" ", 3)[:3] for line in result.stdout.splitlines()] == [
        ["nb.ipynb:cell", "2:1:16:", "TSL000"], ["nb.ipynb:cell", "3:3:54:", "TSL101"],
        ["nb.ipynb:cell", "4:3:41:", "TSL108"]]
    assert "cannot parse: invalid syntax; the cell is left out of the analysis" in result.stdout
    run_cli("nb.ipynb", "--no-cache", "--fix", cwd=tmp_path)  # the other cells are still fixed
    cells = json.loads(path.read_text())["cells"]
    assert STEP in cells[2]["source"][2] and cells[1]["source"] == ["def half_typed(:\n", "    pass"]


def test_an_empty_notebook_has_nothing_to_report(tmp_path):
    (tmp_path / "empty.ipynb").write_text(notebook())
    (tmp_path / "blank.ipynb").write_text(notebook([], "", cell_type="code"))
    result = run_cli(".", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == ""


# -- the cache, standard input, pre-commit, flake8 --------------------------------------------------------
def test_the_cache_covers_notebooks(tmp_path):
    _copy(tmp_path, "colab_estimator.ipynb")
    cold = run_cli(".", "--format", "json", cwd=tmp_path)
    warm = run_cli(".", "--format", "json", cwd=tmp_path)
    assert cold.stdout == warm.stdout and '"cell": 4' in warm.stdout
    assert (tmp_path / ".tf_step_lint_cache").is_dir()


def test_standard_input_named_as_a_notebook_is_a_notebook(tmp_path):
    source = (NOTEBOOKS / "colab_estimator.ipynb").read_bytes()
    result = subprocess.run([sys.executable, "-m", "tf_step_lint", "--stdin-filename", "nb.ipynb", "-"],
                            input=source, capture_output=True, cwd=tmp_path)
    assert result.stdout.decode().startswith("nb.ipynb:cell 4:8:24: TSL101")
    fixed = subprocess.run([sys.executable, "-m", "tf_step_lint", "--fix", "--stdin-filename", "nb.ipynb", "-"],
                           input=source, capture_output=True, cwd=tmp_path)
    assert STEP in json.loads(fixed.stdout)["cells"][3]["source"][7]


def test_nbqa_runs_the_flake8_plugin_on_notebooks(tmp_path):
    pytest.importorskip("nbqa", reason="nbqa is in the test extra; `pip install -e '.[test]'` installs it")
    shutil.copy(NOTEBOOKS / "jupyter_estimator.ipynb", tmp_path)
    result = subprocess.run([sys.executable, "-m", "nbqa", "flake8", "jupyter_estimator.ipynb", "--select", "TSL"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout.startswith("jupyter_estimator.ipynb:cell_3:8:26: TSL101 `minimize()` of "
                                    "GradientDescentOptimizer"), result.stdout + result.stderr


def test_a_python_2_notebooks_python_2_cells_are_left_out_with_a_note_and_the_others_checked(tmp_path):
    data = json.loads(notebook(IMPORTS, ['print "training"'], MODEL_FN))
    data["metadata"] = {"kernelspec": {"language": "python", "name": "python2"},
                        "language_info": {"name": "python", "version": "2.7.14"}}
    (tmp_path / "py2.ipynb").write_text(json.dumps(data, indent=1))
    result = run_cli("py2.ipynb", "--no-cache", "--target-version", "2.15", cwd=tmp_path)  # not the guess's note
    assert result.returncode == 1 and lines(result) == [["py2.ipynb:cell", "3:3:54:"]]  # no TSL000
    assert result.stderr == ("tf-step-lint: py2.ipynb: 1 cell(s) in Python 2 syntax left out (its kernel runs "
                             "Python 2; tf-step-lint reads Python 3)\n")


def test_ipython_lines_inside_brackets_strings_and_automagic_commands(tmp_path):
    """`% n` continuing a statement is Python (string formatting), not a magic; `pip install` and `ls gs://...`
    without `!` are IPython automagics; a Datalab `%bash` first line makes the cell shell."""
    cells = [IMPORTS, ["pip install -q tensorflow\n", "ls gs://bucket/data\n", "message = ('%d steps'\n",
                       "           % 10)\n", "doc = '''\n", "%not a magic\n", "'''"],
             ["%bash\n", "gsutil ls gs://bucket\n"], MODEL_FN]
    (tmp_path / "nb.ipynb").write_text(notebook(*cells))
    result = run_cli("nb.ipynb", "--no-cache", cwd=tmp_path)
    assert lines(result) == [["nb.ipynb:cell", "4:3:54:"]] and result.returncode == 1


# -- cells IPython dedents --------------------------------------------------------------------------------
def _indented(source, margin=" "):
    return [margin + line if line.strip() else line for line in source]


def _as_ipython_runs(text: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(text)


WINDOWS = [" for x in windows.take(5):\n", "  print(x)"]  # as TensorFlow's own docs notebooks write them
DISPATCH = [" @tf.experimental.dispatch_for_api(tf.math.add)\n", " def masked_add(x, y):\n", "   return x"]


def test_a_uniformly_indented_cell_is_read_as_ipython_dedents_it(tmp_path):
    """IPython removes the indentation every line of a cell shares before running it; so does the module."""
    for cell in (WINDOWS, DISPATCH, _indented(MODEL_FN)):
        compile(_as_ipython_runs("".join(cell)), "cell", "exec")  # what IPython runs is Python
    (tmp_path / "nb.ipynb").write_text(notebook(IMPORTS, WINDOWS, DISPATCH, _indented(MODEL_FN),
                                                ["  a = 1\n", " b = 2"]))
    result = run_cli("nb.ipynb", "--no-cache", "--target-version", "2.15", cwd=tmp_path)
    assert [line.split(" ", 3)[:3] for line in result.stdout.splitlines()] == [
        ["nb.ipynb:cell", "4:3:55:", "TSL101"],  # the column in the cell's own text, past its margin
        ["nb.ipynb:cell", "5:1:2:", "TSL000"]]  # not uniformly indented: IPython cannot run it either
    assert "cannot parse: unexpected indent" in result.stdout
    (finding,) = [f for f in json.loads(run_cli("nb.ipynb", "--no-cache", "--target-version", "2.15", "--format",
                                                "json", cwd=tmp_path).stdout) if f["code"] == "TSL101"]
    line = _indented(MODEL_FN)[2]  # the range and the fix's edit in the cell's own text too
    assert (finding["column"], finding["end_column"]) == (line.index("minimize") + 1, line.index("(loss)") + 1)
    assert finding["fix"]["edits"][0]["start"] == {"line": 3, "column": line.index("loss)") + 5}


def test_a_fix_in_a_dedented_cell_keeps_its_margin_and_every_other_byte(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook(IMPORTS, WINDOWS, _indented(MODEL_FN), TRAIN))
    before = path.read_text()
    run_cli("nb.ipynb", "--no-cache", "--fix", "--target-version", "2.15", cwd=tmp_path)
    after = path.read_text()
    fixed_line = _indented(MODEL_FN)[2].replace("minimize(loss)", f"minimize(loss, global_step={STEP})")
    assert after == before.replace(json.dumps(_indented(MODEL_FN)[2]), json.dumps(fixed_line))
    fixed_cell = "".join(json.loads(after)["cells"][2]["source"])
    assert _as_ipython_runs(fixed_cell) == "".join(MODEL_FN).replace("minimize(loss)",
                                                                     f"minimize(loss, global_step={STEP})") + "\n"
    assert run_cli("nb.ipynb", "--no-cache", "--fix", "--target-version", "2.15", cwd=tmp_path).returncode != 2
    assert path.read_text() == after


KERAS_MODEL_FN = ["def model_fn(features, labels, mode):\n",
                  "    loss = tf.reduce_sum(features)\n",
                  "    optimizer = tf.keras.optimizers.Adam(0.1)\n",
                  "\n",
                  "    variables = tf.compat.v1.trainable_variables()\n",
                  "    train_op = optimizer.apply_gradients(zip(tf.gradients(loss, variables), variables))\n",
                  "    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)"]


def test_a_fix_that_adds_lines_to_a_dedented_cell_indents_them_as_the_cell_is(tmp_path):
    """The fix inserts `optimizer.iterations = ...` on a line of its own: in a cell indented by two spaces it gets
    them too, so that IPython runs what the fix wrote into the module."""
    estimator = ["estimator = tf.estimator.Estimator(model_fn)"]
    for name, cell in (("plain.ipynb", KERAS_MODEL_FN), ("indented.ipynb", _indented(KERAS_MODEL_FN, "  "))):
        (tmp_path / name).write_text(notebook(IMPORTS, cell, estimator))
        run_cli(name, "--no-cache", "--fix", "--target-version", "2.10", cwd=tmp_path)
    plain, indented = ("".join(json.loads((tmp_path / name).read_text())["cells"][1]["source"])
                       for name in ("plain.ipynb", "indented.ipynb"))
    assert "optimizer.iterations = " in plain and plain.count("\n") > len(KERAS_MODEL_FN) - 1
    assert indented == "".join(_indented(source_lines(plain), "  "))
    assert _as_ipython_runs(indented) == plain + "\n"


def source_lines(text):
    return text.splitlines(keepends=True)

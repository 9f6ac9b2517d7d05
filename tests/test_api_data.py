"""The TF API data the rules use is generated from TensorFlow, never typed: regenerating it changes nothing."""
import json
import subprocess
import sys

from tests.conftest import ROOT

DATA = ROOT / "tf_step_lint" / "data" / "tf_api.json"


def test_committed_data_is_what_the_installed_tensorflow_generates(tmp_path):
    output = tmp_path / "tf_api.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_tf_api.py"), "--output", str(output)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    generated, committed = json.loads(output.read_text()), json.loads(DATA.read_text())
    assert generated["generated_from"]["tensorflow"] == "2.15.1"
    assert generated == committed

"""The README's quick tour really runs."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_names_exactly_the_two_set_up_commands():
    text = README.read_text()
    set_up = text.split("## Set up", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", set_up, flags=re.MULTILINE)
    assert commands == ["demo", "test"]


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    assert "Total params: 325" in printed
    assert "Linear(in_features=512, out_features=10" in printed
    loss = float(re.search(r"loss (\d+\.\d+)", printed).group(1))
    assert loss < 0.3

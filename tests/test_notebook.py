"""The notebooks run top to bottom on the embedded store; the sliders re-score live."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MARK = "GZ-TEST-RESULT "


def _execute(nb):
    _client(nb).execute()
    return nb


def _client(nb):
    from nbclient import NotebookClient

    return NotebookClient(nb, timeout=300, kernel_name="python3",
                          resources={"metadata": {"path": str(NOTEBOOKS)}})


def _read(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit notebooks without outputs"
    assert all(c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_executes(path):
    nb = _execute(_read(path))
    html = "".join(str(o.get("data", {}).get("text/html", ""))
                   for c in nb.cells for o in c.get("outputs", []))
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert "leaflet" in html.lower()  # a map rendered inline (in 02: the explorer's page)


#: Run after the notebook, in its kernel: move two sliders the way a user would (setting
#: ``value`` fires the notebook's observer, ``on_change``) and report what the table shows.
DRIVE = """
import json
before = state["table"]["name"].tolist()
names = list(sliders)
heaviest = max(names, key=lambda n: sliders[n].value)
sliders[heaviest].value = 0.0
sliders[names[-1]].value = MAX_WEIGHT
# the same weights straight through the public API, in this kernel (the code the notebook ran)
expected = gz.rank_sites(gz.score(layers, scenario.reweighted(**current_weights())), top=TOP)
print("__MARK__" + json.dumps({
    "before": before, "weights": current_weights(), "top": TOP,
    "names": state["table"]["name"].tolist(),
    "scores": state["table"]["score"].astype(float).tolist(),
    "expected_names": expected["name"].tolist(),
    "expected_scores": expected["score"].astype(float).tolist(),
    "map": map_view.value[:20000], "status": status.value}))
""".replace("__MARK__", MARK)


@pytest.mark.slow
def test_reweighting_sliders_rescore_like_gz_score():
    import nbformat

    import growthzones as gz

    nb = _read(NOTEBOOKS / "02_reweighting.ipynb")
    nb.cells.append(nbformat.v4.new_code_cell(DRIVE))
    nb = _execute(nb)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    got = json.loads(text[text.index(MARK) + len(MARK):].splitlines()[0])

    # what the sliders' table shows is what gz.score + gz.rank_sites give for those weights
    assert got["names"] == got["expected_names"]
    assert got["scores"] == pytest.approx(got["expected_scores"], abs=1e-12)
    # and the weights are the ones the sliders were moved to (the kernel runs the installed
    # growthzones, whose default scenario is the one the notebook loaded)
    assert 0.0 in got["weights"].values() and 5.0 in got["weights"].values()
    assert set(got["weights"]) <= set(gz.REGISTRY)
    assert got["names"] != got["before"]          # the table changed with the sliders
    assert "<iframe" in got["map"] and "leaflet" in got["map"].lower()  # the map, redrawn
    assert "re-scored" in got["status"]

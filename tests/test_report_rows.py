"""A tabular model's test examples in the report: a table of its feature columns, the predicted
and the true class, wrong ones marked, values escaped."""

from __future__ import annotations

from mlmonitor_lib.report.evidence import MAX_SAMPLES, Evidence


def test_rows_are_shown_as_a_table_with_predictions_and_labels():
    evidence = Evidence()
    rows = [["female", 22, "<b>rich</b>"], ["male", 41, "little"]]
    evidence.samples(rows, [1, 0], [1, 1], fields=["sex", "age", "saving_accounts"])
    (extra,) = evidence.render_new()
    page = extra.content
    assert "<th" in page and ">saving_accounts</th>" in page and ">predicted</th>" in page
    assert page.count('class="sample correct"') == 1 and page.count('class="sample wrong"') == 1
    assert "2 examples shown; 1 misclassified" in page
    assert "&lt;b&gt;rich&lt;/b&gt;" in page and "<b>rich</b>" not in page


def test_only_the_first_rows_are_shown_of_many():
    evidence = Evidence()
    rows = [["male", age] for age in range(MAX_SAMPLES + 5)]
    labels = [0] * len(rows)
    evidence.samples(rows, labels, labels, fields=["sex", "age"])
    (extra,) = evidence.render_new()
    assert f"{MAX_SAMPLES} of {MAX_SAMPLES + 5} examples shown" in extra.content

"""Model cards: structured fields and free sections, auto-filled metrics and training data,
completeness, export, audit."""

from __future__ import annotations

import pytest

from governance_fixtures import version_with_metrics
from modelreg.cards import ModelCard
from modelreg.datasets import Dataset
from modelreg.errors import InvalidArgument, NotFound

CARD = {
    "summary": "Flags card fraud.",
    "intended_use": "Scoring card payments in the EU.",
    "limitations": "Not trained on corporate cards.",
    "sections": {"Deployment": "Runs behind the **payments** gateway."},
    "license": "apache-2.0",
    "tags": ["fraud", "tabular"],
}


@pytest.fixture
def fraud(client):
    client.create_registered_model("fraud")
    version_with_metrics(client, "fraud", {"auc": 0.91, "f1": 0.8})
    return client


def test_a_card_set_on_a_version_reads_back(fraud):
    fraud.set_model_card("fraud", 1, CARD)

    card = fraud.get_model_card("fraud", 1)

    assert card.summary == "Flags card fraud."
    assert card.sections == {"Deployment": "Runs behind the **payments** gateway."}
    assert (card.license, card.tags) == ("apache-2.0", ("fraud", "tabular"))
    assert (card.model_name, card.version, card.semver) == ("fraud", 1, "1.0.0")


def test_a_card_object_can_be_set(fraud):
    fraud.set_model_card("fraud", 1, ModelCard(summary="From an object", caveats="None known."))

    assert fraud.get_model_card("fraud", 1).caveats == "None known."


def test_metrics_come_from_the_source_run_when_the_card_has_none(fraud):
    fraud.set_model_card("fraud", 1, CARD)

    card = fraud.get_model_card("fraud", 1)

    assert card.metrics == {"auc": 0.91, "f1": 0.8}
    assert "metrics" in card.auto_filled


def test_metrics_written_on_the_card_win_over_the_run(fraud):
    card = fraud.set_model_card("fraud", 1, {"metrics": {"auc": 0.88}})

    assert card.metrics == {"auc": 0.88}
    assert "metrics" not in card.auto_filled


def test_training_data_comes_from_the_runs_training_datasets(fraud):
    run_id = fraud.get_model_version("fraud", 1).run_id
    fraud.log_inputs(run_id, [Dataset("train", "a" * 64, "s3://b/train.csv", None, 1000)])
    fraud.log_inputs(run_id, [Dataset("holdout", "b" * 64)], context="evaluation")

    card = fraud.get_model_card("fraud", 1)

    assert "train" in card.training_data and "s3://b/train.csv" in card.training_data
    assert "holdout" not in card.training_data
    assert [(i.dataset.name, i.context) for i in card.datasets] == [
        ("train", "training"),
        ("holdout", "evaluation"),
    ]


def test_a_card_read_back_and_set_again_keeps_auto_filled_fields_automatic(fraud):
    fraud.set_model_card("fraud", 1, fraud.get_model_card("fraud", 1))
    run_id = fraud.get_model_version("fraud", 1).run_id
    fraud.log_metric(run_id, "auc", 0.95)

    assert fraud.get_model_card("fraud", 1).metrics["auc"] == 0.95


def test_completeness_lists_the_missing_fields(fraud):
    fraud.set_model_card("fraud", 1, CARD)

    report = fraud.get_model_card("fraud", 1).completeness()

    assert report.missing == (
        "training_data",
        "evaluation_data",
        "architecture",
        "ethical_considerations",
        "caveats",
    )
    assert not report.complete
    assert report.ratio == pytest.approx(4 / 9)


def test_a_version_without_a_card_has_an_empty_one(fraud):
    card = fraud.get_model_card("fraud", 1)

    assert card.summary is None and card.last_updated_timestamp is None
    assert "summary" in card.missing_fields()


def test_setting_a_card_replaces_the_previous_one(fraud):
    fraud.set_model_card("fraud", 1, CARD)

    fraud.set_model_card("fraud", 1, {"summary": "Shorter."})

    card = fraud.get_model_card("fraud", 1)
    assert (card.summary, card.intended_use, card.sections) == ("Shorter.", None, {})


def test_setting_a_card_is_in_the_audit_trail(fraud):
    fraud.set_model_card("fraud", 1, {"summary": "v1"})
    fraud.set_model_card("fraud", 1, {"summary": "v2"})

    event = fraud.get_history("fraud", 1)[-1]

    assert event.action == "set_model_card"
    assert (event.before, event.after) == ({"summary": "v1"}, {"summary": "v2"})


def test_deleting_a_card_empties_it_and_is_audited(fraud):
    fraud.set_model_card("fraud", 1, CARD)

    fraud.delete_model_card("fraud", 1)

    assert fraud.get_model_card("fraud", 1).summary is None
    assert fraud.get_history("fraud", 1)[-1].action == "delete_model_card"


def test_an_unknown_card_field_is_refused_naming_it(fraud):
    with pytest.raises(InvalidArgument, match="colour"):
        fraud.set_model_card("fraud", 1, {"summary": "x", "colour": "red"})


def test_a_non_numeric_card_metric_is_refused(fraud):
    with pytest.raises(InvalidArgument, match="card metric 'auc'"):
        fraud.set_model_card("fraud", 1, {"metrics": {"auc": "high"}})


def test_a_card_for_a_missing_version_is_not_found(fraud):
    with pytest.raises(NotFound, match="no version 7"):
        fraud.set_model_card("fraud", 7, CARD)


def test_export_as_markdown_has_front_matter_and_hugging_face_sections(fraud):
    fraud.set_model_card("fraud", 1, CARD)

    text = fraud.export_model_card("fraud", 1, "md")

    assert text.startswith('---\nlicense: "apache-2.0"\n')
    assert "# Model Card for fraud (version 1, 1.0.0)" in text
    for heading in ("## Uses", "## Bias, Risks, and Limitations", "## Training Details"):
        assert heading in text
    assert "## Deployment\n\nRuns behind the **payments** gateway." in text


def test_the_front_matter_is_yaml_with_datasets_metrics_and_base_model(fraud):
    import yaml

    run_id = fraud.get_model_version("fraud", 1).run_id
    fraud.log_inputs(run_id, [Dataset("train", "a" * 64)])
    version_with_metrics(fraud, "fraud", {"auc": 0.93}, parent=("fraud", 1))

    meta = yaml.safe_load(fraud.export_model_card("fraud", 1, "md").split("---\n")[1])
    child = yaml.safe_load(fraud.export_model_card("fraud", 2, "md").split("---\n")[1])

    assert (meta["datasets"], meta["metrics"]) == (["train"], ["auc", "f1"])
    assert meta["model-index"][0]["results"][0]["metrics"][0] == {
        "type": "auc",
        "value": 0.91,
        "name": "auc",
    }
    assert child["base_model"] == "models:/fraud/1"


def test_export_as_html_renders_markdown_and_escapes_markup(fraud):
    fraud.set_model_card("fraud", 1, {"summary": "**bold** <script>alert(1)</script>"})

    html = fraud.export_model_card("fraud", 1, "html")

    assert "<strong>bold</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_export_in_an_unknown_format_is_refused(fraud):
    with pytest.raises(InvalidArgument, match="md, html, json"):
        fraud.export_model_card("fraud", 1, "pdf")


def test_log_model_with_a_card_writes_the_versions_card(client):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    import modelreg

    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    model = LogisticRegression().fit(X, [0, 1, 1, 0])
    with modelreg.start_run():
        modelreg.log_metric("accuracy", 1.0)
        modelreg.log_model(
            model, "model", registered_model_name="clf", card={"summary": "A tiny classifier."}
        )

    card = client.get_model_card("clf", 1)
    assert (card.summary, card.metrics) == ("A tiny classifier.", {"accuracy": 1.0})


def test_log_model_refuses_a_card_without_a_registered_model_name(client):
    import modelreg

    with modelreg.start_run(), pytest.raises(InvalidArgument, match="registered_model_name"):
        modelreg.log_model(object(), "model", card={"summary": "x"})

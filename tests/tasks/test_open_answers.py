"""Phrase-match grading shared by MedQA, reasoning and summary coverage."""

from medtune.tasks.scoring.open_answers import named, names_only, normalize_answer, spec_found, token_f1


def test_normalize_answer():
    assert normalize_answer("  Graves' Disease, the classic!") == "graves disease classic"
    assert normalize_answer("Trimethoprim-sulfamethoxazole") == "trimethoprim sulfamethoxazole"


def test_token_f1_by_hand():
    """prediction "iron deficiency" vs reference "iron deficiency anemia": 2 common tokens,
    precision 2/2, recall 2/3, F1 = 2 * 1 * 2/3 / (1 + 2/3) = 0.8."""
    assert abs(token_f1("iron deficiency", "Iron deficiency anemia") - 0.8) < 1e-12
    assert token_f1("", "anything") == 0.0


def test_spec_needs_every_group_in_any_order():
    spec = [["NSAID", "ibuprofen"], ["colchicine"]]
    assert spec_found("Colchicine plus ibuprofen.", spec)
    assert not spec_found("ibuprofen alone", spec)
    assert not spec_found("colchicine", spec)
    assert not spec_found("ibuprofenx and colchicine", spec), "whole words only"


def test_phrase_inside_a_longer_named_phrase_does_not_count():
    cands = {"isch": [["stroke"]], "hem": [["hemorrhagic stroke"]]}
    assert named("hemorrhagic stroke", cands) == ["hem"]
    assert named("a stroke", cands) == ["isch"]
    assert named("stroke, not hemorrhagic stroke", cands) == ["isch", "hem"]


def test_names_only_rejects_a_hedge_and_ignores_shared_right_answers():
    gold = [["penicillin", "amoxicillin"]]
    rivals = [[["amoxicillin", "doxycycline"]], [["supportive care"]]]
    assert names_only("Amoxicillin for 10 days", gold, rivals), "a rival's phrase that is also gold is dropped"
    assert not names_only("penicillin or supportive care", gold, rivals)
    assert not names_only("doxycycline", gold, rivals)
    assert not names_only("", gold, rivals)

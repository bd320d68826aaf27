"""Issue 13, point 4: "sebagian besar" (most) is a majority, more than half, by default; the
plurality reading is a rule-set option a cycle may choose, and the board says which applies."""

import pytest
from django.core.exceptions import ValidationError

from processes import distribution
from processes.rules import DEFAULT_RULES, default_rules, validate_rules


def of(**counts) -> list[str]:
    return [predicate for predicate, n in counts.items() for _ in range(n)]


MOST_VERY_GOOD = DEFAULT_RULES["distribution"]["outstanding"][:1]


def test_three_of_nine_very_good_is_not_most_very_good_under_the_default_reading():
    unit = of(very_good=3, good=2, needs_improvement=2, poor=2)
    [check] = distribution.check(MOST_VERY_GOOD, unit)
    assert not check.passes
    assert check.rule["op"] == "most" and check.actual == round(3 / 9, 4)


def test_a_majority_passes_and_exactly_half_does_not():
    assert distribution.check(MOST_VERY_GOOD, of(very_good=5, good=4))[0].passes
    assert not distribution.check(MOST_VERY_GOOD, of(very_good=4, good=4))[0].passes


def test_the_plurality_reading_passes_the_largest_group_when_a_cycle_chooses_it():
    unit = of(very_good=3, good=2, needs_improvement=2, poor=2)
    assert distribution.check(MOST_VERY_GOOD, unit, most="plurality")[0].passes
    assert not distribution.check(MOST_VERY_GOOD, of(very_good=2, good=3), most="plurality")[0].passes


def test_the_rule_set_reads_most_as_a_majority_by_default_and_refuses_another_reading():
    assert default_rules()["most_reading"] == "majority"
    rules = default_rules()
    rules["most_reading"] = "plurality"
    validate_rules(rules)
    rules["most_reading"] = "some"
    with pytest.raises(ValidationError) as error:
        validate_rules(rules)
    assert set(error.value.message_dict) == {"most_reading"}


def labels(language: str) -> tuple[dict, dict]:
    from django.utils import translation

    with translation.override(language):
        unit = of(very_good=3)
        majority = distribution.as_json(distribution.check(MOST_VERY_GOOD, unit))[0]
        plurality = distribution.as_json(distribution.check(MOST_VERY_GOOD, unit, most="plurality"))[0]
    return majority, plurality


def test_the_label_says_which_reading_applies():
    majority, plurality = labels("en")
    assert "more than half" in majority["description"] and majority["reading"] == "majority"
    assert "more than any other" in plurality["description"] and plurality["reading"] == "plurality"
    majority, plurality = labels("id")
    assert "lebih dari separuh" in majority["description"] and "lebih banyak daripada" in plurality["description"]


# Point 7: the calibration forum has its right name ------------------------------------------------


def test_the_forum_is_called_the_calibration_forum_in_indonesian_never_tim_penilai_kinerja():
    import pathlib

    from django.utils import translation

    with translation.override("id"):
        assert translation.gettext("the calibration forum") == "Forum Kalibrasi Kinerja"
        assert translation.gettext("Review forum member") == "Anggota forum kalibrasi kinerja"
        assert "forum kalibrasi kinerja" in translation.gettext("Only the calibration forum of this unit may do this.")
    po = (pathlib.Path(__file__).resolve().parents[2] / "locale/id/LC_MESSAGES/django.po").read_text()
    assert "tim penilai" not in po.lower()

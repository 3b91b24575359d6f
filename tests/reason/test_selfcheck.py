"""Self-check anatomy: hand-written responses that do and do not check or revise themselves."""

from __future__ import annotations

import pytest

from rocks.reason.selfcheck import equations, self_check, self_check_rate


@pytest.mark.parametrize("text", [
    "<think>23 + 48 = 61. Wait, 3 + 8 = 11, so 23 + 48 = 71.</think><answer>71</answer>",
    "<think>7*6=42. Let me double-check: 6*7=42.</think><answer>42</answer>",
    "Actually, I made an error above; the sum is 71.",
    "Hmm. That is wrong.",
    "WAIT. Start over.",
])
def test_a_revision_marker_counts(text):
    assert self_check(text).checks and self_check(text).markers


@pytest.mark.parametrize("text, expected", [
    ("23 + 48 = 71 so ... 23 + 48 = 71", 1),       # the same sum computed again
    ("48 + 23 = 71, and 23 + 48 = 71", 1),         # commuted
    ("23 + 48 = 71. Check: 71 - 48 = 23.", 1),      # checked by the inverse
    ("6 × 7 = 42 and 42 / 7 = 6", 1),
    ("12 * 3 = 36, 36 - 12 = 24", 0),               # a new step, not a check
    ("1 + 2 = 3, 3 + 4 = 7, 7 + 5 = 12", 0),        # a chain of different sums
])
def test_recomputation_is_counted_without_any_marker(text, expected):
    found = self_check(text)
    assert found.markers == () and found.recomputed == expected
    assert found.checks == (expected > 0)


@pytest.mark.parametrize("text", [
    "<think>23 + 48 = 71</think><answer>71</answer>",
    "The answer is 71.",
    "Awaiting input; the checksum is 5 and the verified-looking word is verifiable.",
    "",
])
def test_a_straight_answer_is_not_a_self_check(text):
    assert not self_check(text).checks


def test_the_rate_is_the_share_of_checking_responses():
    texts = ["wait, no", "71", "23 + 48 = 71. 71 - 23 = 48", "plain"]
    assert self_check_rate(texts) == 0.5
    assert self_check_rate([]) == 0.0


def test_equations_normalise_the_operator_and_ignore_non_text():
    assert equations("3 x 4 = 12; 8 ÷ 2 = 4") == [("3", "*", "4", "12"), ("8", "/", "2", "4")]
    assert not self_check(None).checks  # type: ignore[arg-type]

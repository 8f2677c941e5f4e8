import math

import pytest

from amtoolkit.theory import am_theorem_3_3, am_theorem_3_4


def test_theorem_3_3_value():
    # (½·4 + 9)/√100 = 1.1
    assert am_theorem_3_3(4.0, 3.0, 100) == pytest.approx(1.1)


def test_theorem_3_4_printed_and_corrected():
    printed = am_theorem_3_4(1.0, L=2.0, G=1.0, c=0.5, T=4, form="printed")
    corrected = am_theorem_3_4(1.0, L=2.0, G=1.0, c=0.5, T=4, form="corrected")
    assert printed == pytest.approx((1.0 + 3.0 / (2 * (0.5 - 1))) / 2)  # -0.25
    assert corrected == pytest.approx((1.0 + 3.0 / (2 * 0.5)) / 2)       # 2.0
    assert printed < 0 < corrected
    # the older keyword still selects the same forms
    assert am_theorem_3_4(1.0, 2.0, 1.0, 0.5, 4, printed=True) == printed
    assert am_theorem_3_4(1.0, 2.0, 1.0, 0.5, 4, printed=False) == corrected


def test_theorem_3_4_form_must_be_chosen():
    with pytest.raises(ValueError, match="form must be 'printed' .* or 'corrected'"):
        am_theorem_3_4(1.0, 2.0, 1.0, 0.5, 4)
    with pytest.raises(ValueError, match="form must be"):
        am_theorem_3_4(1.0, 2.0, 1.0, 0.5, 4, form="fixed")
    with pytest.raises(ValueError, match="contradicts"):
        am_theorem_3_4(1.0, 2.0, 1.0, 0.5, 4, printed=True, form="corrected")


@pytest.mark.parametrize("c", [0.0, 1.0, 1.5])
def test_theorem_3_4_rejects_c_outside_open_unit_interval(c):
    with pytest.raises(ValueError, match=r"c must lie in \(0.0, 1.0\)"):
        am_theorem_3_4(1.0, 1.0, 1.0, c, 10, form="corrected")


def test_bad_T():
    with pytest.raises(ValueError, match="T must be an integer >= 1"):
        am_theorem_3_3(1.0, 1.0, 0)
    assert math.isfinite(am_theorem_3_3(0.0, 0.0, 1))


def test_theorem_3_4_both_forms_equal_eq18_written_out():
    """Eq. 18 with decrease = 1, L = 3, G = 2, c = 0.5, T = 4: (1 + 4·4/(2(c-1)))/√4 as
    printed, with 2(1-c) in the corrected form."""
    assert am_theorem_3_4(1.0, 3.0, 2.0, 0.5, 4, form="printed") == pytest.approx((1.0 + 16.0 / -1.0) / 2.0)
    assert am_theorem_3_4(1.0, 3.0, 2.0, 0.5, 4, form="corrected") == pytest.approx((1.0 + 16.0 / 1.0) / 2.0)
    assert am_theorem_3_4(1.0, 3.0, 2.0, 0.25, 4, form="printed") == pytest.approx((1.0 + 16.0 / -1.5) / 2.0)

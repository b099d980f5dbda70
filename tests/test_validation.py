"""Tests of implicit_bias._validation: accepted inputs are normalized, bad ones named."""

import numpy as np
import pytest
from implicit_bias._validation import (
    check_alpha,
    check_bool,
    check_depth,
    check_int,
    check_matrix,
    check_pair,
    check_positive,
    check_random_state,
    check_system,
    check_vector,
    pow2_scale,
)


def test_check_matrix():
    A = check_matrix([[1, 2], [3, 4]])
    assert A.dtype == float and A.shape == (2, 2)
    with pytest.raises(ValueError, match="2-D"):
        check_matrix(np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        check_matrix(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="empty"):
        check_matrix(np.ones((0, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_matrix([[1.0, np.inf]])
    with pytest.raises(TypeError, match="B must be a 2-D array"):
        check_matrix(None, name="B")
    with pytest.raises(TypeError, match="real numbers"):
        check_matrix([["a", "b"]])


def test_check_vector():
    np.testing.assert_array_equal(check_vector([[1.0], [2.0]]), [1.0, 2.0])  # column -> 1-D
    with pytest.raises(ValueError, match="shape mismatch"):
        check_vector([1.0, 2.0], length=3)
    with pytest.raises(ValueError, match="1-D"):
        check_vector(np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        check_vector([np.nan])
    with pytest.raises(TypeError, match="1-D array"):
        check_vector("abc")


def test_check_system():
    A, y = check_system([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], [1, 2])
    assert A.shape == (2, 3) and y.dtype == float
    with pytest.raises(ValueError, match="not in the range of A"):
        check_system(np.ones((3, 2)) + np.eye(3, 2), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="rank-deficient"):
        check_system([[1.0, 1.0], [2.0, 2.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="all-zero row"):
        check_system([[0.0, 0.0], [1.0, 0.0]], [0.0, 1.0])
    # badly scaled rows are fine (rows are normalized before the rank test)
    check_system([[1e-8, 0.0, 1e-8], [0.0, 1e8, 1e8]], [1.0, 1.0])
    # the rank test can be switched off
    A, _ = check_system([[1.0, 1.0], [2.0, 2.0]], [1.0, 2.0], require_full_row_rank=False)
    assert A.shape == (2, 2)


def test_check_depth():
    assert check_depth(3) == 3
    assert check_depth(np.int64(4)) == 4
    assert check_depth(3.0) == 3  # integral floats are accepted
    assert check_depth(3, minimum=3) == 3
    for bad in (2.5, "3", True, False, None, np.nan):
        with pytest.raises(TypeError, match="depth must be an integer"):
            check_depth(bad)
    with pytest.raises(ValueError, match="depth must be an integer >= 2, got 1"):
        check_depth(1)
    with pytest.raises(ValueError, match=">= 3"):
        check_depth(2, minimum=3)


def test_check_alpha_positive_int():
    assert check_alpha(np.float32(0.5)) == 0.5
    assert check_alpha(1) == 1.0
    for bad in (0, -1e-3, np.inf, np.nan):
        with pytest.raises(ValueError, match="alpha must be a positive finite number"):
            check_alpha(bad)
    for bad in ("1", None, True, [1.0]):
        with pytest.raises(TypeError, match="alpha must be a positive real number"):
            check_alpha(bad)
    with pytest.raises(ValueError, match="step"):
        check_positive(-1.0, "step")
    assert check_int(np.int32(5), "n") == 5
    with pytest.raises(TypeError, match="n must be an integer"):
        check_int(5.0, "n")
    with pytest.raises(TypeError, match="n must be an integer"):
        check_int(True, "n")
    with pytest.raises(ValueError, match="n must be >= 1"):
        check_int(0, "n", 1)


def test_complex_and_object_input_is_refused_not_cut():
    for bad in (np.array([[1.0 + 0j, 2.0]]), [[1j, 2.0]], np.array([[1.0, 2.0]], dtype=complex)):
        with pytest.raises(TypeError, match="complex"):
            check_matrix(bad)
    with pytest.raises(TypeError, match="complex"):
        check_vector([1.0, 2j])
    with pytest.raises(TypeError, match="None or strings"):
        check_vector(np.array([None, 1.0], dtype=object))
    with pytest.raises(TypeError, match="real numbers"):
        check_vector(np.array(["1", "2"]))
    with pytest.raises(TypeError, match="real numbers"):
        check_matrix([[1.0, 2.0], [3.0]])  # ragged


def test_shape_messages_say_what_the_length_counts():
    with pytest.raises(ValueError, match="needs 5, one for each of the 5 columns of A"):
        check_vector(np.ones(3), 5, "x", length_of="columns of A")
    with pytest.raises(ValueError, match="rows of A"):
        check_vector(np.ones(3), 5)


def test_pow2_scale_is_an_exact_power_of_two():
    for top in (3e-300, 1e-12, 0.7, 1.0, 5e7, 1e300):
        c = pow2_scale([top, -top / 3])
        assert np.log2(c) == round(np.log2(c)) and 0.5 <= top / c <= 2.0
    assert pow2_scale(np.zeros(3)) == 1.0


def test_rank_verdicts_do_not_depend_on_scale():
    A = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    for c in (1e-150, 1e-12, 1.0, 1e12, 1e150):
        check_system(c * A, c * np.array([1.0, 2.0]))  # consistent, full rank: accepted
        with pytest.raises(ValueError, match="not in the range"):
            check_system(c * np.vstack([A, A[:1]]), c * np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="ill-conditioned"):
        check_system([[1.0, 0.0, 1.0], [1.0, 1e-9, 1.0]], [1.0, 1.0])


def test_check_pair_and_bool():
    u, v = check_pair(([1.0, 2.0], np.zeros(2)), "init", "(u, v)")
    assert u.dtype == float and v.shape == (2,)
    for bad in ((1.0,), "ab", None, np.ones((2, 2)), (1, 2, 3)):
        with pytest.raises(TypeError, match="init must be a pair"):
            check_pair(bad, "init", "(u, v)")
    assert check_bool(np.bool_(True), "polish") is True
    for bad in ("no", 1, None):
        with pytest.raises(TypeError, match="polish must be True or False"):
            check_bool(bad, "polish")


def test_check_random_state():
    # an int k gives the draws of numpy.random.default_rng(k) (the old seed=k arguments)
    assert check_random_state(7).random() == np.random.default_rng(7).random()
    assert check_random_state(np.int64(7)).random() == np.random.default_rng(7).random()
    gen = np.random.default_rng(1)
    assert check_random_state(gen) is gen
    assert isinstance(check_random_state(None), np.random.Generator)
    assert check_random_state(None).random() != check_random_state(None).random()
    with pytest.raises(ValueError, match="rng must be a non-negative"):
        check_random_state(-1)
    for bad in (True, 0.5, "0", [0], np.random.RandomState(0)):
        with pytest.raises(TypeError, match="my_rng must be None"):
            check_random_state(bad, "my_rng")

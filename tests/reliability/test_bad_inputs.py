"""Bad input at every public entry point: the exception type, and a message that names
the parameter (issue 8, "Must show")."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp

import amtoolkit as amt
from amtoolkit import cli, memory, theory, validate
from amtoolkit import optimizers as O
from amtoolkit.optimizers import schedules

Q = amt.Quadratic.random(dim=3, cond=10, seed=0)
X, Y = amt.problems.make_logistic_data(20, 3, seed=0)
LOG = amt.LogisticRegression(X, Y)
G, D = np.array([1.0, 0.0, 0.5]), np.array([0.5, 1.0, 0.0])


def _fun(x):
    return float(x @ x)


def _jac(x):
    return 2 * x


# (entry point, callable, exception type, the parameter its message must name)
CASES = [
    # problems
    ("Quadratic", lambda: amt.Quadratic(np.eye(2), np.zeros(2), c=np.nan), ValueError, "c"),
    ("Quadratic", lambda: amt.Quadratic(np.eye(2), np.zeros(2), c="1"), TypeError, "c"),
    ("Quadratic", lambda: amt.Quadratic([["a", "b"], ["c", "d"]], np.zeros(2)), TypeError, "A"),
    ("Quadratic", lambda: amt.Quadratic(np.eye(2)[None], np.zeros(2)), ValueError, "A"),
    ("Quadratic", lambda: amt.Quadratic(np.eye(2), np.zeros(2) + 1j), TypeError, "b"),
    ("Quadratic.random", lambda: amt.Quadratic.random(dim=0), ValueError, "dim"),
    ("Quadratic.random", lambda: amt.Quadratic.random(dim=2.0), TypeError, "dim"),
    ("Quadratic.random", lambda: amt.Quadratic.random(dim=3, smoothness=0.0), ValueError, "smoothness"),
    ("Quadratic.random", lambda: amt.Quadratic.random(dim=3, cond=np.inf), ValueError, "cond"),
    ("LogisticRegression", lambda: amt.LogisticRegression(X, Y, reg=np.nan), ValueError, "reg"),
    ("LogisticRegression", lambda: amt.LogisticRegression(X, Y, reg="0.1"), TypeError, "reg"),
    ("LogisticRegression", lambda: amt.LogisticRegression(X[:, 0], Y), ValueError, "X"),
    ("LogisticRegression", lambda: amt.LogisticRegression(X.astype(complex), Y), TypeError, "X"),
    ("LogisticRegression", lambda: amt.LogisticRegression(sp.csr_matrix(X) * 1j, Y), TypeError, "X"),
    ("LogisticRegression", lambda: amt.LogisticRegression(X, Y + 1j), TypeError, "y"),
    ("LogisticRegression", lambda: amt.LogisticRegression(X, np.full(20, np.nan)), ValueError, "y"),
    ("value_and_grad", lambda: LOG.value_and_grad(np.zeros(3), batch=np.array([50])), ValueError, "batch"),
    ("value_and_grad", lambda: Q.value_and_grad(np.zeros(3), batch=np.array([0])), ValueError, "batch"),
    ("sampler", lambda: next(LOG.sampler(0)), ValueError, "batch_size"),
    ("sampler", lambda: next(LOG.sampler(4, seed=-1)), ValueError, "seed"),
    ("make_logistic_data", lambda: amt.problems.make_logistic_data(1, 3), ValueError, "n_samples"),
    ("make_logistic_data", lambda: amt.problems.make_logistic_data(10, 3, density=0.0), ValueError, "density"),
    ("make_logistic_data", lambda: amt.problems.make_logistic_data(10, 3, noise=-1.0), ValueError, "noise"),
    ("make_logistic_data", lambda: amt.problems.make_logistic_data(10**7, 10**6), ValueError, "n_samples"),
    # datasets
    ("load_problem", lambda: amt.load_problem(3), TypeError, "name"),
    ("load_problem", lambda: amt.load_problem("breast_cancer", reg=-1.0), ValueError, "reg"),
    ("load_problem", lambda: amt.load_problem("breast_cancer", n_features=3), TypeError, "n_features"),
    ("load_problem", lambda: amt.load_problem("synthetic", n_samples=0), ValueError, "n_samples"),
    ("load_libsvm", lambda: amt.datasets.load_libsvm(None), TypeError, "name_or_path"),
    ("load_libsvm", lambda: amt.datasets.load_libsvm("./no/such/file.svm"), FileNotFoundError, "name_or_path"),
    # optimizers
    ("gd", lambda: O.gd(lr=(0.1, 0.2)), TypeError, "lr"),
    ("gd", lambda: O.gd(lr="0.1"), TypeError, "lr"),
    ("gd", lambda: O.gd(lr=1j), TypeError, "lr"),
    ("gd", lambda: O.gd(lr=True), TypeError, "lr"),
    ("gd", lambda: O.gd(lr=np.nan), ValueError, "lr"),
    ("gd", lambda: O.gd(lr=[[0.1]]), ValueError, "lr"),
    ("gd", lambda: O.gd(lr=lambda t: -1.0), ValueError, "lr schedule at step 0"),
    ("gd", lambda: O.gd(lr=lambda t: 0.1 if t else -1.0), ValueError, "lr schedule at step 0"),
    ("gd", lambda: O.gd(lr=["1/L", 0.2]), TypeError, "lr must hold real numbers"),  # mixed: not all 'c/L'
    ("gd", lambda: O.gd(lr=lambda t: "x"), TypeError, "lr schedule at step 0"),
    ("mgd", lambda: O.mgd(beta=(0.5,)), TypeError, "beta"),
    ("heavy_ball", lambda: O.heavy_ball(beta=np.array([0.5, 1.5])), ValueError, "beta"),
    ("sgd", lambda: O.sgd(dampening=1.5), ValueError, "dampening"),
    ("sgd", lambda: O.sgd(nesterov="yes"), TypeError, "nesterov"),
    ("nag", lambda: O.nag(beta=-0.5), ValueError, "beta"),
    ("adamw", lambda: O.adamw(betas=0.9), ValueError, "betas"),
    ("adamw", lambda: O.adamw(eps=0.0), ValueError, "eps"),
    ("am_mgd", lambda: O.am_mgd(lam=-0.1), ValueError, "lam"),
    ("am_mgd", lambda: O.am_mgd(beta_max=1.5), ValueError, "beta_max"),
    ("am_mgd", lambda: O.am_mgd(offset="nope"), ValueError, "offset"),
    ("am_msgd", lambda: O.am_msgd(variant="clip"), ValueError, "beta_min"),
    ("am_adamw", lambda: O.am_adamw(beta2=1.0), ValueError, "beta2"),
    ("am_adamw", lambda: O.am_adamw(weight_decay=-1.0), ValueError, "weight_decay"),
    ("rllc", lambda: O.rllc(memory="M(1.5)"), ValueError, "allow_unstable"),
    ("rllc", lambda: O.rllc(allow_unstable="yes"), TypeError, "allow_unstable"),
    ("rllc", lambda: O.rllc(c2=-1.0), ValueError, "c2"),
    ("rllc", lambda: O.rllc(law0=[1.0, 0.0, 0.0]), ValueError, "law0"),
    ("rllc", lambda: O.rllc(pinv="qr"), ValueError, "pinv"),
    ("get", lambda: O.get(None), ValueError, "optimizer name"),
    ("schedules.cosine", lambda: schedules.cosine(0.1, total_steps=0), ValueError, "total_steps"),
    ("schedules.linear_warmup", lambda: schedules.linear_warmup(-0.1, 10), ValueError, "lr"),
    # run
    ("run", lambda: amt.run(O.gd(), Q, 5, seed=7, seeds=[0, 1]), ValueError, "give seed or seeds, not both"),
    ("run", lambda: amt.run("gd", Q, 5), TypeError, "optimizer"),
    ("run", lambda: amt.run(O.gd(), "quadratic", 5), TypeError, "problem"),
    ("run", lambda: amt.run(O.gd(), Q, 5, x0=np.zeros(3) + 1j), TypeError, "x0"),
    ("run", lambda: amt.run(O.gd(), Q, 5, x0=np.array(["a", "b", "c"])), TypeError, "x0"),
    ("run", lambda: amt.run(O.gd(), Q, 5, x0="000"), TypeError, "x0"),
    ("run", lambda: amt.run(O.gd(), Q, 5, seed=-1), ValueError, "seed"),
    ("run", lambda: amt.run(O.gd(), Q, 5, seed=np.float64(1)), TypeError, "seed"),
    ("run", lambda: amt.run(O.gd(), Q, 5, gtol=0.0), ValueError, "gtol"),
    ("run", lambda: amt.run(O.gd(), Q, 5, f_star=np.nan), ValueError, "f_star"),
    ("run", lambda: amt.run(O.gd(), Q, 5, f_star="best"), ValueError, "f_star"),
    ("run", lambda: amt.run(O.gd(), Q, 5, record_every=0), ValueError, "record_every"),
    ("run", lambda: amt.run(O.gd(), LOG, 5, batch_size=8, eval_every=0), ValueError, "eval_every"),
    ("run", lambda: amt.run(O.gd(), LOG, 5, batch_size=21), ValueError, "batch_size"),
    ("run", lambda: amt.run(O.gd(), Q, 5, callback="stop"), TypeError, "callback"),
    ("run", lambda: amt.run(O.gd(), Q, 5, progress="yes"), TypeError, "progress"),
    ("run", lambda: amt.run(O.rllc(memory="J(0.9,4)"), Q, 5), ValueError, "memory has k=4"),
    # minimize
    ("minimize", lambda: amt.minimize(_fun, np.zeros(2), jac=_jac, options=[("lr", 0.1)]), TypeError, "options"),
    ("minimize", lambda: amt.minimize(_fun, np.zeros(2), jac=_jac, options={"maxiter": 0}), ValueError, "maxiter"),
    ("minimize", lambda: amt.minimize(_fun, np.zeros(2), jac=_jac, options={"gtol": -1.0}), ValueError, "gtol"),
    ("minimize", lambda: amt.minimize(_fun, np.zeros((2, 2)), jac=_jac), ValueError, "x0"),
    ("minimize", lambda: amt.minimize(_fun, np.zeros(2) + 1j, jac=_jac), TypeError, "x0"),
    ("minimize", lambda: amt.minimize("f", np.zeros(2), jac=_jac), TypeError, "fun"),
    ("minimize", lambda: amt.minimize(_fun, np.zeros(2), jac=_jac, method="gd", options={"lr": (1, 2)}),
     TypeError, "lr"),
    ("minimize", lambda: amt.minimize(_fun, np.ones(2), jac=lambda x: 1.0), amt.RunError, "jac"),
    ("minimize", lambda: amt.minimize(lambda x: x, np.ones(2), jac=_jac), amt.RunError, "fun"),
    ("adamw", lambda: O.adamw(amsgrad="no"), TypeError, "amsgrad"),
    # validate
    ("check_step", lambda: validate.check_step(1.0, 1.0, G, D[:2], 0.1), ValueError, "d"),
    ("check_step", lambda: validate.check_step(1.0, 1.0, G, D, 0.1, mu=-1.0), ValueError, "mu"),
    ("check_step", lambda: validate.check_step(1.0, 1.0, G, D, 0.1, P=-np.ones(3)), ValueError, "P"),
    ("check_step", lambda: validate.check_step(np.inf, 1.0, G, D, 0.1), ValueError, "f"),
    ("check_step", lambda: validate.check_step(1.0, 1.0, G + 1j, D, 0.1), TypeError, "g"),
    ("solve_primal", lambda: validate.solve_primal(1.0, 1.0, G, D, lr=-0.1), ValueError, "lr"),
    ("solve_primal", lambda: validate.solve_primal(1.0, 1.0, G, D, 0.1, x_t=np.ones(2)), ValueError, "x_t"),
    ("solve_dual", lambda: validate.solve_dual(1.0, 1.0, G, D, 0.1, beta_max=2.0), ValueError, "beta_max"),
    ("solve_dual", lambda: validate.solve_dual(1.0, 1.0, np.zeros(3), np.zeros(3), 0.1), ValueError, "g and d"),
    # memory
    ("parse_memory", lambda: memory.parse_memory("M(0.9"), ValueError, "memory"),
    ("parse_memory", lambda: memory.parse_memory("J(0.9,100000)"), ValueError, "size"),
    ("jordan", lambda: memory.jordan(0.9, 0), ValueError, "size"),
    ("jordan", lambda: memory.jordan("0.9", 2), TypeError, "lam"),
    ("complex_jordan", lambda: memory.complex_jordan(0.9, 0.3, 10**6), ValueError, "size"),
    ("complex_block", lambda: memory.complex_block(-1.0, 0.3), ValueError, "r"),
    ("momentum", lambda: memory.momentum(np.nan), ValueError, "beta"),
    ("change_basis", lambda: memory.change_basis(memory.jordan(0.9, 2), np.eye(3)), ValueError, "Q"),
    ("impulse_response", lambda: memory.impulse_response(memory.momentum(0.9), 0), ValueError, "steps"),
    ("impulse_response", lambda: memory.impulse_response("M(0.9)", 3), TypeError, "memory"),
    # theory
    ("am_theorem_3_3", lambda: theory.am_theorem_3_3(-1.0, 1.0, 10), ValueError, "x0_dist_sq"),
    ("am_theorem_3_3", lambda: theory.am_theorem_3_3(1.0, 1.0, 0), ValueError, "T"),
    ("am_theorem_3_4", lambda: theory.am_theorem_3_4(1.0, 1.0, 1.0, 1.0, 10, form="printed"), ValueError, "c"),
    ("am_theorem_3_4", lambda: theory.am_theorem_3_4(1.0, -1.0, 1.0, 0.5, 10, form="printed"), ValueError, "L"),
]


@pytest.mark.parametrize("entry, fn, exc, name", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_names_the_parameter(entry, fn, exc, name):
    with pytest.raises(exc) as info:
        fn()
    assert re.search(rf"(^|\W){re.escape(name)}(\W|$)", str(info.value)), str(info.value)


CLI_CASES = [
    (["run", "--steps", "0"], "steps"),
    (["run", "--steps", "3", "--seed", "-1"], "seed"),
    (["run", "--steps", "3", "--dim", "0"], "dim"),
    (["run", "--steps", "3", "--cond", "0.5"], "cond"),
    (["run", "--steps", "3", "--batch-size", "4"], "batch_size"),
    (["run", "--steps", "3", "--record-every", "0"], "record_every"),
    # options before the problem: no dataset is looked for (or parsed, or fetched) first
    (["run", "--steps", "0", "--problem", "no_such_data"], "steps (--steps)"),
    (["run", "--steps", "3", "--record-every", "0", "--problem", "no_such_data"], "record_every"),
    (["run", "--steps", "3", "--problem", "synthetic", "--cond", "10"], "cond (--cond)"),
    (["run", "--steps", "3", "--problem", "breast_cancer", "--reg", "-1"], "reg"),
    (["run", "--steps", "3", "--problem", "no_such_data"], "name_or_path"),
    (["run", "--steps", "3", "--set", "lr"], "--set"),
    (["run", "--steps", "3", "--set", "lr=0.1", "--set", "lr=0.2"], "--set lr"),
    (["run", "--steps", "3", "--set", "lr=abc"], "lr"),
    (["run", "--steps", "3", "--set", "beta=0.5:0.9"], "beta"),
    (["run", "--steps", "3", "--optimizer", "rllc", "--set", "memory=M(2.0)"], "allow_unstable"),
    (["demo", "--steps", "0"], "steps"),
]


@pytest.mark.parametrize("argv, name", CLI_CASES, ids=[" ".join(a[2:]) for a, _ in CLI_CASES])
def test_cli_bad_input_exits_2_naming_the_parameter(argv, name, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert name in err, err


def test_there_are_at_least_60_cases():
    assert len(CASES) + len(CLI_CASES) >= 60


# -- issue 21, smaller items: inputs that ran nothing, or something else, without a word ------
def test_an_empty_hyperparameter_list_is_refused():
    q = amt.Quadratic.random(dim=5, cond=10, seed=0)
    for make in (lambda: O.gd(lr=[]), lambda: O.mgd(lr=0.1, beta=np.array([])), lambda: O.am_mgd(lam=[])):
        with pytest.raises(ValueError, match="must hold at least one value, got an empty"):
            amt.run(make(), q, 3)


def test_seeds_beyond_int64_are_refused_up_front():
    p = amt.load_problem("breast_cancer", reg=1e-2)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*63 - 1\], got 18446744073709551616"):
        amt.run(O.sgd(lr=0.1), p, 3, batch_size=8, seed=2 ** 64)
    assert amt.run(O.sgd(lr=0.1), p, 3, batch_size=8, seed=2 ** 63 - 1).frame.seed.iloc[0] == 2 ** 63 - 1
    with pytest.raises(ValueError, match=r"seeds must be a non-empty list of integers in \[0, 2\*\*63 - 1\]"):
        amt.run(O.sgd(lr=0.1), p, 3, batch_size=8, seeds=[0, 2 ** 64])


@pytest.mark.parametrize("which", ["f", "f_hat", "g", "d"])
def test_beta_star_refuses_a_nan_input(which):
    from amtoolkit.model import two_plane

    args = dict(f=1.0, f_hat=1.5, g=np.array([1.0, 0.0]), d=np.array([0.0, 1.0]), lr=1.0)
    assert two_plane.beta_star(**args) == 0.75
    args[which] = np.nan if which.startswith("f") else np.array([np.nan, 0.0])
    with pytest.raises(ValueError, match=f"{which} must be finite"):
        two_plane.beta_star(**args)


def test_cli_run_refuses_an_empty_out_and_a_hyperparameter_given_twice(capsys):
    from amtoolkit import cli

    assert cli.main(["run", "--dim", "5", "--steps", "3", "--out", ""]) == 2
    assert "out (--out) must name a file, got an empty string" in capsys.readouterr().err
    assert cli.main(["run", "--dim", "5", "--steps", "3", "--set", "lr=0.3", "--grid", "lr=0.1,0.2"]) == 2
    assert "lr given both by --set and by --grid" in capsys.readouterr().err

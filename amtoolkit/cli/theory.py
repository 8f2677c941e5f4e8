"""``amtoolkit rate``: classical, spectral and PEPit worst-case rates of a momentum method."""

from __future__ import annotations

import sys

from ._common import fail


def register(sub) -> None:
    p = sub.add_parser("rate", help="classical, spectral (exact on quadratics) and PEPit worst-case "
                                    "rates of a momentum method on L-smooth, mu-strongly convex functions")
    p.add_argument("--method", default="heavy_ball", choices=["gd", "heavy_ball", "mgd", "nag"],
                   help="the method (mgd: the EMA form d <- beta d + (1-beta) g; default: heavy_ball)")
    p.add_argument("--mu", type=float, required=True, help="strong convexity constant (> 0)")
    p.add_argument("--L", type=float, required=True, help="smoothness constant (>= mu)")
    p.add_argument("--lr", type=float, default=None, help="step size (with --beta; default: optimal)")
    p.add_argument("--beta", type=float, default=None, help="momentum (with --lr; default: optimal)")
    p.add_argument("--pep", type=int, default=None, metavar="N",
                   help="also the PEPit worst case after N steps (N <= 30)")
    p.add_argument("--function-class", default="smooth_strongly_convex",
                   choices=["smooth_strongly_convex", "quadratic"], help="class for --pep")
    p.set_defaults(func=cmd_rate)


def _classical(method: str, mu: float, L: float, lr: float) -> tuple[float, str]:
    from .. import theory

    if method == "gd":
        return theory.gd_rate(lr, mu, L), "max(|1-lr mu|, |1-lr L|), distance, at this lr"
    if method == "nag":
        return theory.nag_rate(mu, L), "1 - 1/sqrt(kappa), Nesterov at lr = 1/L, beta = (sqrt(k)-1)/(sqrt(k)+1)"
    p_lr, p_beta, rate = theory.polyak_heavy_ball(mu, L)
    if method == "mgd":
        p_lr = p_lr / (1.0 - p_beta)  # mgd(lr, beta) is heavy ball with step lr(1-beta)
    return rate, f"Polyak, quadratics only, at lr = {p_lr:.6g}, beta = {p_beta:.6g}"


def _flag(flags: str, check, *args):
    """Run a library check and name the command-line flag(s) in its error."""
    try:
        return check(*args)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{flags}: {err}") from None


def _check_args(args) -> None:
    """Every input of ``rate``, checked before anything is computed; each error names its flag."""
    from .._checks import check_positive, check_range
    from ..theory.pep import MAX_STEPS
    from ..theory.rates import _check_mu_L

    if (args.lr is None) != (args.beta is None) and args.method != "gd":
        raise ValueError("give both --lr and --beta, or neither (then the optimal pair is used)")
    if args.method == "gd" and args.beta not in (None, 0.0):
        raise ValueError(f"--beta must be 0 or omitted for gd, got {args.beta}")
    _flag("--mu", check_positive, "mu", args.mu)
    _flag("--L", check_positive, "L", args.L)
    _flag("--mu, --L", _check_mu_L, args.mu, args.L)
    if args.lr is not None:
        _flag("--lr", check_positive, "lr", args.lr)
    if args.beta is not None:
        _flag("--beta", check_range, "beta", args.beta, 0.0, 1.0, True, False)
    if args.pep is not None and args.pep < 1:
        raise ValueError(f"--pep: n must be >= 1 (the number of steps), got {args.pep}")
    if args.pep is not None and args.pep > MAX_STEPS:
        raise ValueError(f"--pep: n must be <= {MAX_STEPS} (the SDP grows as n²), got {args.pep}")


def cmd_rate(args) -> int:
    """``amtoolkit rate``: exit 0 with the rates, 2 on a bad input (naming its flag), 1 when the
    PEPit solvers return no value. A worst case whose solver status is not "optimal" is printed
    with that status and flagged INACCURATE (and a note on stderr): a number is never shown
    without the status that qualifies it."""
    import warnings

    from .. import theory

    try:
        _check_args(args)
        spectrum = [args.mu, args.L]
        if args.lr is None:
            lr, beta, _ = theory.optimal_parameters(args.method, spectrum)
            how = "optimal on the spectrum [mu, L], by search"
        else:
            lr, beta, how = args.lr, (args.beta or 0.0), "given"
        classical, source = _classical(args.method, args.mu, args.L, lr)
        spectral = theory.spectral_rate(args.method, lr, beta, spectrum)
        wc = None
        if args.pep is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", theory.pep.InaccurateWorstCase)  # flagged in the output
                wc = theory.worst_case(args.method, args.mu, args.L, lr, beta, args.pep, args.function_class)
    except (ValueError, TypeError) as err:
        return fail(err)
    except RuntimeError as err:  # the solvers returned no value: not a bad input
        return fail(f"--pep: {err}", code=1)
    print(f"{args.method}, mu = {args.mu:.6g}, L = {args.L:.6g} (kappa = {args.L / args.mu:.6g}); "
          f"lr = {lr:.6g}, beta = {beta:.6g} ({how})")
    print(f"  classical   {classical:<12.6g} {source}")
    print(f"  spectral    {spectral:<12.6g} exact asymptotic rate on quadratics with spectrum in [mu, L]")
    if wc is not None:
        flag = "" if wc.accurate else " INACCURATE"
        print(f"  worst case  {wc.rate:<12.6g} PEPit over {args.function_class}, n = {args.pep}: worst "
              f"|x_n - x*|^2/|x_0 - x*|^2 = {wc.value:.6g} (solver {wc.solver}, status {wc.status}{flag}); "
              f"shown: its 1/(2n) power")
        if not wc.accurate:
            print(f"amtoolkit: warning: the PEPit worst case is inaccurate: {wc.solver} reported {wc.status!r}; "
                  f"its value may be off by 10% or more (try a smaller --pep)", file=sys.stderr)
    return 0

"""torch.optim's conventions for AdaptiveMemorySGD and AdaptiveMemoryAdamW (the checklist of
torch's OptimizerInfo / TestOptimRenewed), each against an independent reference: separate
optimizers, the NumPy optimizers, a hand computation of Eq. 12, or torch's own semantics."""

import copy
import importlib
import io
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from amtoolkit.torch import RLLC, AdaptiveMemoryAdamW, AdaptiveMemorySGD  # noqa: E402
from amtoolkit.torch.testing import replay  # noqa: E402

OPTS = [(AdaptiveMemorySGD, {"lr": 0.05}), (AdaptiveMemoryAdamW, {"lr": 0.01})]
IDS = ["am_sgd", "am_adamw"]


def _mlp(seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).to(dtype)


def _data(seed=1, n=32, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 5, generator=g, dtype=dtype), torch.randn(n, 2, generator=g, dtype=dtype)


def _train(model, opt, steps, start=0, scheduler=None):
    X, Y = _data()
    for t in range(start, start + steps):
        idx = torch.arange(t % 4 * 8, t % 4 * 8 + 8)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(X[idx]), Y[idx]).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()


# -- param groups, lazy state ----------------------------------------------------------------
@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_group_scope_equals_separate_optimizers(cls, kw):
    """beta_scope='group' with two groups of different lr/λ = two optimizers, one per group."""
    m1, m2 = _mlp(), _mlp()
    g1 = [{"params": m1[0].parameters(), "lr": kw["lr"]}, {"params": m1[2].parameters(), "lr": kw["lr"] * 2, "lam": 0.3}]
    opt = cls(g1, beta_scope="group", **{k: v for k, v in kw.items() if k != "lr"})
    sep = [cls(m2[0].parameters(), lr=kw["lr"]), cls(m2[2].parameters(), lr=kw["lr"] * 2, lam=0.3)]
    X, Y = _data()
    for _ in range(6):
        for m, opts in ((m1, [opt]), (m2, sep)):
            for o in opts:
                o.zero_grad()
            torch.nn.functional.mse_loss(m(X), Y).backward()
            for o in opts:
                o.step()
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(a, b)
    hist = opt.beta_history()
    assert hist.shape == (6, 2)
    torch.testing.assert_close(hist[:, 1], sep[1].beta_history()[:, 0], rtol=0, atol=0)


@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_add_param_group_and_lazy_state(cls, kw):
    m = _mlp()
    opt = cls(m[0].parameters(), **kw)
    assert len(opt.state) == 0
    opt.add_param_group({"params": m[2].parameters()})
    assert len(opt.state) == 0
    _train(m, opt, 1)
    names = {"momentum_buffer"} if cls is AdaptiveMemorySGD else {"step", "exp_avg", "exp_avg_sq"}
    for p in m.parameters():
        assert set(opt.state[p]) == names
        assert opt.state[p]["momentum_buffer" if cls is AdaptiveMemorySGD else "exp_avg"].shape == p.shape


def test_global_scope_refuses_groups_with_different_lam_and_names_it():
    m = _mlp()
    opt = AdaptiveMemorySGD(m[0].parameters(), lr=0.1)
    with pytest.raises(ValueError, match="lam"):
        opt.add_param_group({"params": m[2].parameters(), "lam": 0.5})
    assert len(opt.param_groups) == 1  # the refused group is not kept
    with pytest.raises(ValueError, match="beta_max"):
        AdaptiveMemorySGD([{"params": m[0].parameters()}, {"params": m[2].parameters(), "beta_max": 0.5}])


@pytest.mark.parametrize("cls, key, other", [(AdaptiveMemorySGD, "beta_scope", "tensor"),
                                              (AdaptiveMemoryAdamW, "variant", "reset"),
                                              (RLLC, "law_scope", "tensor")])
def test_optimizer_wide_options_are_refused_per_group_unless_equal(cls, key, other):
    """An optimizer-wide option in a group (ZeroRedundancyOptimizer copies every keyword
    into its groups) is accepted with the optimizer's value and refused, named, with another."""
    m = _mlp()
    opt = cls(m[0].parameters(), lr=0.01)
    opt.add_param_group({"params": [m[2].weight], key: getattr(opt, key)})
    with pytest.raises(ValueError, match=f"{key} is set for the whole optimizer.*{key}={other!r}"):
        opt.add_param_group({"params": [m[2].bias], key: other})
    assert len(opt.param_groups) == 2


def test_global_scope_with_different_lrs_uses_the_eta_weighted_metric():
    """Two groups with η = 0.1 and 0.3: β = [(1+λ)gap/η_1 - Σ_i (η_i/η_1)⟨d_i-g_i, g_i+λd_i⟩] /
    Σ_i (η_i/η_1)‖d_i-g_i‖², gap = Σ_i η_(t-1,i) g_iᵀd_i (module docstring), recomputed here
    from the buffers before each step."""
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(4, dtype=torch.float64))
    b = torch.nn.Parameter(torch.randn(3, dtype=torch.float64))
    lam, lrs = 0.1, (0.1, 0.3)
    opt = AdaptiveMemorySGD([{"params": [a], "lr": lrs[0]}, {"params": [b], "lr": lrs[1]}], lam=lam, beta_max=1.0)
    expected = []
    for t in range(8):
        ga, gb = torch.sin(3 * a.detach()) + a.detach(), torch.cos(2 * b.detach()) * 2
        if t > 0:
            da, db = opt.state[a]["momentum_buffer"].clone(), opt.state[b]["momentum_buffer"].clone()
            w = [1.0, lrs[1] / lrs[0]]
            gap = lrs[0] * (ga @ da) + lrs[1] * (gb @ db)
            num = (1 + lam) * gap / lrs[0] - sum(wi * ((d - g) @ (g + lam * d)) for wi, d, g in zip(w, (da, db), (ga, gb)))
            den = sum(wi * ((d - g) @ (d - g)) for wi, d, g in zip(w, (da, db), (ga, gb)))
            expected.append(float(min(max(num / den, 0.0), 1.0)))
        a.grad, b.grad = ga, gb
        opt.step()
    got = opt.beta_history()[1:, 0].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    assert np.ptp(expected) > 1e-3


def test_global_am_adamw_with_different_lrs_and_decays_uses_the_stated_metric():
    """AM-AdamW, two groups (η, μ) = (1.0, 0.1) and (2.0, 0.0): β = [gap/c_1 - Σ_i (c_i/c_1)
    (⟨w_i, g_i+λP_id_i⟩ + μ_i⟨x_i, d_i-g_i⟩)] / Σ_i (c_i/c_1)⟨d_i-g_i, w_i⟩ with
    c_i = η_i/(1+μ_iη_i), w_i = (d_i-g_i)/((1+λP_i)P_i), gap = Σ_i η_i gᵢᵀ(P_(t-1,i)⁻¹d_i + μ_i x_i),
    written here from Eq. 14 and Sec. 3.3 with the buffers read before each step."""
    torch.manual_seed(0)
    xs = [torch.nn.Parameter(torch.randn(4, dtype=torch.float64)), torch.nn.Parameter(torch.randn(3, dtype=torch.float64))]
    lrs, mus, lam, b1, b2, eps = (1.0, 2.0), (0.1, 0.0), 0.1, 0.9, 0.999, 1e-8
    opt = AdaptiveMemoryAdamW([{"params": [xs[0]], "lr": lrs[0], "weight_decay": mus[0]},
                               {"params": [xs[1]], "lr": lrs[1], "weight_decay": mus[1]}], lam=lam)
    expected = []
    for t in range(10):
        gs = [torch.sin(3 * xs[0].detach()) + 2 * xs[0].detach(), torch.cos(2 * xs[1].detach()) * 3]
        if t > 0:
            c = [lr / (1 + mu * lr) for lr, mu in zip(lrs, mus)]
            gap = num = den = 0.0
            for i in range(2):
                st, x, g = opt.state[xs[i]], xs[i].detach(), gs[i]
                d, v = st["exp_avg"].clone(), st["exp_avg_sq"].clone()
                P_prev = (1 - b1 ** t) * (torch.sqrt(v / (1 - b2 ** t)) + eps)
                v = b2 * v + (1 - b2) * g * g
                P = (1 - b1 ** (t + 1)) * (torch.sqrt(v / (1 - b2 ** (t + 1))) + eps)
                w = (d - g) / ((1 + lam * P) * P)
                gap += lrs[i] * float(g @ (d / P_prev + mus[i] * x))
                num -= c[i] / c[0] * float(w @ (g + lam * P * d) + mus[i] * (x @ (d - g)))
                den += c[i] / c[0] * float((d - g) @ w)
            expected.append(min(max((gap / c[0] + num) / den, 0.0), 0.9))
        for x, g in zip(xs, gs):
            x.grad = g
        opt.step()
    got = opt.beta_history()[1:, 0].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    assert sum(0 < b < 0.9 for b in expected) >= 2


def test_two_groups_with_one_lr_equal_one_group():
    m1, m2 = _mlp(), _mlp()
    o1 = AdaptiveMemorySGD([{"params": m1[0].parameters()}, {"params": m1[2].parameters()}], lr=0.05)
    o2 = AdaptiveMemorySGD(m2.parameters(), lr=0.05)
    _train(m1, o1, 5)
    _train(m2, o2, 5)
    for a, b in zip(m1.parameters(), m2.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


# -- state_dict ----------------------------------------------------------------------------
@pytest.mark.parametrize("lr_kind", ["float", "tensor"])
@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_state_dict_resume_is_bitwise(cls, kw, lr_kind):
    """10 steps, save, load into a new optimizer, 10 more == 20 straight (with a scheduler)."""
    lr = kw["lr"] if lr_kind == "float" else torch.tensor(kw["lr"])

    def make(model):
        opt = cls(model.parameters(), lr=lr.clone() if torch.is_tensor(lr) else lr)
        return opt, torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7)

    ref = _mlp()
    o, s = make(ref)
    _train(ref, o, 20, scheduler=s)

    m = _mlp()
    o1, s1 = make(m)
    _train(m, o1, 10, scheduler=s1)
    buf = io.BytesIO()
    torch.save({"model": m.state_dict(), "opt": o1.state_dict(), "sched": s1.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf, weights_only=False)
    m2 = _mlp(seed=5)
    m2.load_state_dict(saved["model"])
    o2, s2 = make(m2)
    o2.load_state_dict(saved["opt"])
    s2.load_state_dict(saved["sched"])
    _train(m2, o2, 10, start=10, scheduler=s2)
    for a, b in zip(ref.parameters(), m2.parameters()):
        assert torch.equal(a, b)


def test_am_adamw_step_counts_without_host_reads_and_rewind(monkeypatch):
    """AM-AdamW keeps AdamW's per-parameter CPU ``step`` tensors (a parameter without a
    gradient is not counted, as in torch.optim.AdamW) but reads none of them inside ``step``
    (a Python mirror); loading an earlier state_dict into the same optimizer rewinds it."""
    torch.manual_seed(0)
    x0 = [torch.randn(3, 2, dtype=torch.float64), torch.randn(4, dtype=torch.float64)]
    ours = [torch.nn.Parameter(x.clone()) for x in x0]
    ref = [torch.nn.Parameter(x.clone()) for x in x0]
    opt = AdaptiveMemoryAdamW(ours, lr=0.1)
    adamw = torch.optim.AdamW(ref, lr=0.1)

    def grads(t):
        return [torch.sin(ours[0].detach() * (t + 1)), None if t < 2 else torch.cos(ours[1].detach() + t)]

    reads = []
    for t in range(6):
        for ps, o in ((ours, opt), (ref, adamw)):
            for p, g in zip(ps, grads(t)):
                p.grad = g
            if o is opt and t == 1:
                saved = copy.deepcopy(opt.state_dict())
                xs = [p.detach().clone() for p in ours]
            if o is opt and t >= 1:  # after the first step: no .item()/float()/int() on a tensor
                for name in ("item", "__float__", "__int__"):
                    monkeypatch.setattr(torch.Tensor, name, lambda self, _n=name: reads.append(_n))
            o.step()
            monkeypatch.undo()
    assert reads == []
    for p, q in zip(ours, ref):
        assert opt.state[p]["step"].dtype == adamw.state[q]["step"].dtype == torch.float32
        assert opt.state[p]["step"].device.type == "cpu"
        assert torch.equal(opt.state[p]["step"], adamw.state[q]["step"])
    assert [float(opt.state[p]["step"]) for p in ours] == [6.0, 4.0]
    after = [p.detach().clone() for p in ours]
    # rewind: the state at t = 1 and the parameters then; 5 more steps give the same result
    opt.load_state_dict(saved)
    with torch.no_grad():
        for p, x in zip(ours, xs):
            p.copy_(x)
    for t in range(1, 6):
        for p, g in zip(ours, grads(t)):
            p.grad = g
        opt.step()
    for p, x in zip(ours, after):
        assert torch.equal(p, x)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("cls,kw", OPTS + [(RLLC, {"lr": 0.05, "memory": "J(0.9,2)", "c2": 0.05})],
                         ids=IDS + ["rllc"])
def test_copied_optimizer_continues_like_the_original(cls, kw, how):
    """copy.deepcopy / pickle of a model and its optimizer after 3 steps keep the options
    set in __init__ (scope, variant, memory) and the record: 3 more steps on both agree."""
    import pickle

    extra = {"law_scope": "tensor"} if cls is RLLC else {"beta_scope": "tensor"}
    m = _mlp()
    opt = cls(m.parameters(), **extra, **kw)
    _train(m, opt, 3)
    m2, opt2 = copy.deepcopy((m, opt)) if how == "deepcopy" else pickle.loads(pickle.dumps((m, opt)))
    assert (opt2.law_scope if cls is RLLC else opt2.beta_scope) == "tensor"
    _train(m, opt, 3, start=3)
    _train(m2, opt2, 3, start=3)
    for a, b in zip(m.parameters(), m2.parameters()):
        assert torch.equal(a, b)
    rec = (lambda o: o.law_history()) if cls is RLLC else (lambda o: o.beta_history())
    assert rec(opt).shape[0] == 6 and torch.equal(rec(opt), rec(opt2))


def test_load_state_dict_keeps_fp32_scalars_beside_bf16_params():
    """load_state_dict casts per-parameter floating state to the parameter's dtype; the
    optimizer-wide scalars (previous η, previous loss) live under a string key and stay fp32."""
    p = torch.nn.Parameter(torch.randn(6).to(torch.bfloat16))
    opt = AdaptiveMemorySGD([p], lr=torch.tensor(0.1), offset="previous")
    for _ in range(2):
        p.grad = torch.randn(6).to(torch.bfloat16)
        opt.step(lambda: torch.tensor(1.5))
    q = torch.nn.Parameter(p.detach().clone())
    opt2 = AdaptiveMemorySGD([q], lr=torch.tensor(0.1), offset="previous")
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    st = opt2.state["adaptive_memory"]
    assert st["f_prev"].dtype == torch.float32 and st["lr_prev"][0].dtype == torch.float32
    assert opt2.state[q]["momentum_buffer"].dtype == torch.bfloat16


# -- schedulers: the stored previous η ------------------------------------------------------
SCHEDULERS = {
    "StepLR": lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
    "CosineAnnealingLR": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30),
    "OneCycleLR": lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.4, total_steps=25, cycle_momentum=False),
    "LambdaLR-warmup": lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: min(1.0, (t + 1) / 6)),
}


@pytest.mark.parametrize("lr_kind", ["float", "tensor"])
@pytest.mark.parametrize("sched", list(SCHEDULERS))
def test_schedulers_match_numpy_with_the_lrs_torch_used(sched, lr_kind):
    """Under every common scheduler, with a float or a tensor lr, AM-SGD equals am_msgd run
    with the learning rates torch used: the first-order offset's η_(t-1)/η_t takes the stored
    previous η (a value read after the scheduler changed lr would break the equality)."""
    lr = 0.2 if lr_kind == "float" else torch.tensor(0.2, dtype=torch.float64)
    r = replay("am_msgd", steps=25, lr=lr, scheduler=SCHEDULERS[sched])
    r.check(1e-12)
    assert len(set(r.extra["lrs"])) > 2  # the scheduler changed η
    r2 = replay("am_adamw", steps=25, lr=lr if lr_kind == "float" else lr.clone(), scheduler=SCHEDULERS[sched], noise=1.0)
    r2.check(1e-12)


@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_lr_reaching_zero_gives_no_nan(cls, kw):
    """CosineAnnealingLR to 0: at η_t = 0, β is Eq. 12's limit (β_max or 0), x does not move."""
    m = _mlp()
    opt = cls(m.parameters(), **kw)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    _train(m, opt, 5, scheduler=sched)
    assert opt.param_groups[0]["lr"] == 0.0
    before = [p.detach().clone() for p in m.parameters()]
    _train(m, opt, 1)
    hist = opt.beta_history()
    assert torch.isfinite(hist).all() and float(hist[-1, 0]) in (0.0, float(torch.tensor(0.9)))
    for p, q in zip(m.parameters(), before):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-12) if cls is AdaptiveMemorySGD else None


def test_onecycle_with_cycle_momentum_is_refused_by_torch_not_silently_cycling_beta_max():
    opt = AdaptiveMemorySGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.4, total_steps=10)
    assert opt.param_groups[0]["beta_max"] == 0.9


# -- closure, foreach, maximize ---------------------------------------------------------------
@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_closure_equals_backward_then_step(cls, kw):
    X, Y = _data()
    m1, m2 = _mlp(), _mlp()
    o1, o2 = cls(m1.parameters(), **kw), cls(m2.parameters(), **kw)
    for _ in range(4):
        def closure():
            o1.zero_grad()
            loss = torch.nn.functional.mse_loss(m1(X), Y)
            loss.backward()
            return loss
        out = o1.step(closure)
        o2.zero_grad()
        loss2 = torch.nn.functional.mse_loss(m2(X), Y)
        loss2.backward()
        o2.step()
        assert torch.equal(out, loss2)
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(a, b)


FOREACH_CASES = {
    "am_sgd": (AdaptiveMemorySGD, {"lr": 0.2, "lam": 0.1, "weight_decay": 0.05}),
    "am_sgd_tensor_lr": (AdaptiveMemorySGD, {"lr": "tensor", "lam": 0.1, "weight_decay": 0.05}),
    "am_adamw": (AdaptiveMemoryAdamW, {"lr": 3.0, "lam": 0.1, "weight_decay": 0.1}),
    "am_adamw_tensor_lr": (AdaptiveMemoryAdamW, {"lr": "tensor", "lam": 0.1, "weight_decay": 0.1}),
    "am_adamw_lam0": (AdaptiveMemoryAdamW, {"lr": 3.0, "lam": 0.0, "weight_decay": 0.0}),
    "rllc": (RLLC, {"lr": 0.05, "memory": "J(0.9,2)", "c2": 0.05}),
}


def _foreach_run(cls, kw, scope, foreach, steps=8):
    """float64 parameters of four shapes in two groups, fed one gradient stream."""
    from amtoolkit.torch.testing import stream_problem

    shapes = [(3, 2), (4,), (2, 1, 2), (1,)]
    sizes = [int(np.prod(s)) for s in shapes]
    fn = stream_problem(sum(sizes), seed=3, noise=1.0)
    x0 = np.random.default_rng(5).standard_normal(sum(sizes))
    cuts = np.cumsum([0] + sizes)
    params = [torch.nn.Parameter(torch.tensor(x0[cuts[i]:cuts[i + 1]].reshape(s))) for i, s in enumerate(shapes)]
    kw = dict(kw)
    if kw["lr"] == "tensor":
        kw["lr"] = torch.tensor(0.2 if cls is AdaptiveMemorySGD else 3.0, dtype=torch.float64)
    scope_kw = {"law_scope": scope} if cls is RLLC else {"beta_scope": scope}
    opt = cls([{"params": params[:2]}, {"params": params[2:]}], foreach=foreach, **scope_kw, **kw)
    for t in range(steps):
        x = np.concatenate([p.detach().numpy().ravel() for p in params])
        g = fn(x, t)[1]
        for i, p in enumerate(params):
            p.grad = torch.tensor(g[cuts[i]:cuts[i + 1]].reshape(p.shape))
        opt.step()
    record = opt.law_history() if cls is RLLC else opt.beta_history()
    return params, opt, record


@pytest.fixture
def foreach_calls(monkeypatch):
    """Counts every call of a ``torch._foreach_*`` function."""
    calls = []
    for name in dir(torch):
        if name.startswith("_foreach_"):
            fn = getattr(torch, name)

            def counted(*args, _fn=fn, _name=name, **kwargs):
                calls.append(_name)
                return _fn(*args, **kwargs)

            monkeypatch.setattr(torch, name, counted)
    return calls


@pytest.mark.parametrize("into", [False, True], ids=["cpu", "cuda_variant"])
@pytest.mark.parametrize("scope", ["global", "tensor"])
@pytest.mark.parametrize("case", sorted(FOREACH_CASES))
def test_foreach_equals_for_loop_and_runs_foreach_kernels(case, scope, into, foreach_calls, monkeypatch):
    """foreach=True runs torch._foreach_* kernels (and foreach=False none) and agrees with the
    for-loop path in float64 over 8 steps, four shapes, two groups, λ and weight decay on:
    to 1e-15 relative for the parameters, the state and β (bitwise on CPU, where the
    foreach kernels are the per-tensor kernels). ``into``: the operations that write the
    step's scratch buffers as foreach copy + in-place calls (what CUDA runs) instead of
    per-tensor ``out=`` calls (what CPU runs)."""
    import amtoolkit.torch._ops as ops

    monkeypatch.setattr(ops, "FOREACH_INTO_ON_CPU", into)
    cls, kw = FOREACH_CASES[case]
    p1, o1, r1 = _foreach_run(cls, kw, scope, foreach=False)
    assert foreach_calls == [], foreach_calls
    p2, o2, r2 = _foreach_run(cls, kw, scope, foreach=True)
    assert len(foreach_calls) >= 8 * 2 * 2, foreach_calls  # steps x groups x (at least) two operations
    if cls is AdaptiveMemoryAdamW:
        # x ← s x - η s P⁻¹d: one addcdiv (float lr) or P⁻¹d then an addcmul (tensor lr)
        want = {"_foreach_mul_", "_foreach_add_", "_foreach_addcmul_"}
        want |= {"_foreach_addcdiv_"} if kw["lr"] != "tensor" else set()
        want |= {"_foreach_sqrt_", "_foreach_copy_", "_foreach_sub_"} if into else set()
        assert want <= set(foreach_calls), sorted(set(foreach_calls))
    elif cls is RLLC:
        want = {"_foreach_add_", "_foreach_copy_", "_foreach_addcmul_"} | ({"_foreach_mul_"} if into else set())
        assert want <= set(foreach_calls), sorted(set(foreach_calls))
    else:
        assert "_foreach_lerp_" in foreach_calls

    def rel(a, b):
        return float((a - b).abs().max() / max(b.abs().max(), 1e-300))

    for a, b in zip(p1, p2):
        assert rel(a.detach(), b.detach()) <= 1e-15
        assert set(o1.state[a]) == set(o2.state[b])
        for key in o1.state[a]:
            assert rel(o1.state[a][key], o2.state[b][key]) <= 1e-15, key
    assert torch.isfinite(r1).all() and rel(r1, r2) <= 1e-15
    assert len(torch.unique(r1)) > 3  # β (the law) moved: the comparison is not of constants


@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_maximize_on_minus_f_equals_minimize_on_f(cls, kw):
    X, Y = _data()
    m1, m2 = _mlp(), _mlp()
    o1, o2 = cls(m1.parameters(), **kw), cls(m2.parameters(), maximize=True, **kw)
    for _ in range(5):
        o1.zero_grad(), o2.zero_grad()
        torch.nn.functional.mse_loss(m1(X), Y).backward()
        (-torch.nn.functional.mse_loss(m2(X), Y)).backward()
        o1.step(), o2.step()
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(a, b)


# -- degenerate gradients and no-grad parameters -----------------------------------------------
@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_zero_gradient_and_d_equal_g_give_no_nan(cls, kw):
    p = torch.nn.Parameter(torch.ones(5))
    q = torch.nn.Parameter(torch.ones(3))
    opt = cls([p, q], beta_scope="tensor", **kw)
    for _ in range(4):
        p.grad = torch.zeros(5)            # zero gradient: d = g = 0 for AM-SGD
        q.grad = torch.full((3,), 0.5)     # constant gradient: d = g after the first AM-SGD step
        opt.step()
    hist = opt.beta_history()
    assert torch.isfinite(hist).all() and torch.isfinite(p).all() and torch.isfinite(q).all()
    if cls is AdaptiveMemorySGD:
        assert torch.equal(p.detach(), torch.ones(5))
        assert torch.equal(hist, torch.zeros_like(hist))  # Eq. 12 is 0/0 there: β = 0 (the NumPy choice)
        torch.testing.assert_close(q.detach(), torch.full((3,), 1 - 4 * 0.05 * 0.5))


@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_params_without_grad_are_untouched(cls, kw):
    m = _mlp()
    frozen = m[0].weight
    frozen.requires_grad_(False)
    before = frozen.detach().clone()
    opt = cls(m.parameters(), **kw)
    _train(m, opt, 3)
    assert torch.equal(frozen, before) and frozen not in opt.state


# -- mixed precision ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_params_keep_fp32_reductions_and_fp32_beta(dtype):
    """β at step 2 equals Eq. 12 computed in float64 from the bf16/fp16 d and g (a bf16
    reduction would be off by ~1e-2); the buffer keeps the parameter's dtype."""
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(2000).to(dtype))
    opt = AdaptiveMemorySGD([p], lr=0.1, lam=0.1, beta_max=1.0)
    g0 = torch.randn(2000).to(dtype)
    p.grad = g0
    opt.step()
    d = opt.state[p]["momentum_buffer"].double().clone()
    g = (g0.float() * 0.2 + torch.randn(2000)).to(dtype)
    p.grad = g
    opt.step()
    g = g.double()
    num = 1.1 * 0.1 * (g @ d) / 0.1 - (d - g) @ (g + 0.1 * d)
    beta = float(num / ((d - g) @ (d - g)))
    hist = opt.beta_history()
    assert hist.dtype == torch.float32 and opt.state[p]["momentum_buffer"].dtype == dtype
    assert 0 < beta < 1
    assert abs(float(hist[1, 0]) - beta) < 2e-5


def test_low_precision_am_adamw_beta_is_fp32():
    p = torch.nn.Parameter(torch.randn(50).to(torch.bfloat16))
    opt = AdaptiveMemoryAdamW([p], lr=0.01)
    for _ in range(3):
        p.grad = torch.randn(50).to(torch.bfloat16)
        opt.step()
    assert opt.beta_history().dtype == torch.float32
    assert opt.state[p]["exp_avg"].dtype == torch.bfloat16 and torch.isfinite(p).all()


@pytest.mark.parametrize("cls,kw", OPTS, ids=IDS)
def test_gradscaler_skipped_step_leaves_state_unchanged(cls, kw):
    m = _mlp()
    opt = cls(m.parameters(), **kw)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8)
    X, Y = _data()
    for t in range(3):
        opt.zero_grad()
        scaler.scale(torch.nn.functional.mse_loss(m(X), Y)).backward()
        if t == 2:
            m[0].weight.grad[0, 0] = float("inf")
            state = copy.deepcopy(opt.state_dict())
            params = [p.detach().clone() for p in m.parameters()]
            n_hist = len(opt.beta_history())
        scaler.step(opt)
        scaler.update()
    assert scaler.get_scale() == 2.0 ** 7  # the step was skipped and the scale backed off
    assert len(opt.beta_history()) == n_hist
    for p, q in zip(m.parameters(), params):
        assert torch.equal(p, q)
    after = opt.state_dict()
    for k, v in state["state"].items():
        if isinstance(k, int):
            for key, val in v.items():
                assert torch.equal(after["state"][k][key], val)


# -- torch.compile ----------------------------------------------------------------------------
def test_compiled_step_does_not_recompile_every_step():
    import torch._dynamo

    torch._dynamo.reset()
    m = _mlp()
    opt = AdaptiveMemorySGD(m.parameters(), lr=torch.tensor(0.05))
    X, Y = _data()
    frames = []

    def backend(gm, example_inputs):
        frames.append(gm)
        return gm.forward

    @torch.compile(backend=backend)
    def train_step():
        opt.zero_grad()
        torch.nn.functional.mse_loss(m(X), Y).backward()
        opt.step()

    for _ in range(8):
        train_step()
    n = len(frames)
    for _ in range(4):
        train_step()
    assert len(frames) == n  # no new graph after the first steps
    assert len(opt.beta_history()) == 12
    torch._dynamo.reset()


# -- refused inputs and the missing extra ---------------------------------------------------
BAD = [
    (AdaptiveMemorySGD, {"lr": -1.0}, "lr"), (AdaptiveMemorySGD, {"lr": torch.ones(2)}, "lr"),
    (AdaptiveMemorySGD, {"lam": -0.1}, "lam"), (AdaptiveMemorySGD, {"beta_max": 1.5}, "beta_max"),
    (AdaptiveMemorySGD, {"beta_max": lambda t: 2.0}, "beta_max"),
    (AdaptiveMemorySGD, {"weight_decay": -1.0}, "weight_decay"), (AdaptiveMemorySGD, {"offset": "bundle"}, "offset"),
    (AdaptiveMemorySGD, {"beta_scope": "layer"}, "beta_scope"), (AdaptiveMemorySGD, {"variant": "restart"}, "variant"),
    (AdaptiveMemorySGD, {"variant": "clip"}, "beta_min"), (AdaptiveMemorySGD, {"variant": "reset"}, "theta"),
    (AdaptiveMemorySGD, {"variant": "clip", "beta_min": 0.95}, "beta_min"),
    (AdaptiveMemorySGD, {"beta_min": 0.3}, "beta_min"), (AdaptiveMemorySGD, {"maximize": 1}, "maximize"),
    (AdaptiveMemorySGD, {"foreach": "yes"}, "foreach"), (AdaptiveMemorySGD, {"reduce": 3}, "reduce"),
    (AdaptiveMemorySGD, {"reduce": print, "beta_scope": "tensor"}, "reduce"),
    (AdaptiveMemorySGD, {"offset": "previous", "beta_scope": "tensor"}, "beta_scope"),
    (AdaptiveMemorySGD, {"history": -1}, "history"),
    (AdaptiveMemoryAdamW, {"beta_max": 1.0}, "beta_max"), (AdaptiveMemoryAdamW, {"beta2": 1.0}, "beta2"),
    (AdaptiveMemoryAdamW, {"eps": 0.0}, "eps"), (AdaptiveMemoryAdamW, {"beta": 1.2}, "beta"),
    (AdaptiveMemoryAdamW, {"beta": 0.5, "variant": "reset", "theta": 0.5}, "variant"),
    (AdaptiveMemoryAdamW, {"lam": float("nan")}, "lam"),
]


@pytest.mark.parametrize("cls,kw,name", BAD, ids=[f"{c.__name__}-{n}-{i}" for i, (c, _, n) in enumerate(BAD)])
def test_refused_inputs_name_the_parameter(cls, kw, name):
    with pytest.raises((ValueError, TypeError), match=name):
        cls([torch.nn.Parameter(torch.zeros(2))], **kw)


def test_previous_offset_without_closure_names_the_closure():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = AdaptiveMemorySGD([p], offset="previous")
    p.grad = torch.ones(2)
    with pytest.raises(ValueError, match="closure"):
        opt.step()


def test_beta_max_schedule_value_out_of_range_names_the_step():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = AdaptiveMemorySGD([p], beta_max=lambda t: 0.9 if t < 2 else 1.5)
    with pytest.raises(ValueError, match="beta_max schedule at step 2"):
        for _ in range(3):
            p.grad = torch.ones(2)
            opt.step()


def test_import_without_torch_names_the_extra(monkeypatch):
    for name in [n for n in sys.modules if n == "amtoolkit.torch" or n.startswith("amtoolkit.torch.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"amtoolkit\[torch\]"):
        importlib.import_module("amtoolkit.torch")

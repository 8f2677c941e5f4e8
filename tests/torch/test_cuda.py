"""On a GPU: no host synchronisation inside step (torch.cuda.set_sync_debug_mode("error")),
and the CUDA run equals the CPU run. Marked gpu: skipped where no GPU is lent."""

import pytest

torch = pytest.importorskip("torch")

from amtoolkit.torch import AdaptiveMemoryAdamW, AdaptiveMemorySGD  # noqa: E402

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


@pytest.mark.parametrize("foreach", [None, False])  # None: the foreach path on CUDA
@pytest.mark.parametrize("cls", [AdaptiveMemorySGD, AdaptiveMemoryAdamW])
@pytest.mark.parametrize("scope", ["global", "tensor"])
def test_step_does_not_synchronise_and_matches_cpu(cls, scope, foreach):
    torch.manual_seed(0)
    cpu = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4)).double()
    gpu = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4)).double().cuda()
    gpu.load_state_dict(cpu.state_dict())
    X = torch.randn(64, 16, dtype=torch.float64)
    opts = [cls(cpu.parameters(), lr=0.05, beta_scope=scope),
            cls(gpu.parameters(), lr=torch.tensor(0.05, dtype=torch.float64, device="cuda"), beta_scope=scope,
                foreach=foreach)]
    for t in range(5):
        for model, opt, dev in ((cpu, opts[0], "cpu"), (gpu, opts[1], "cuda")):
            opt.zero_grad()
            (model(X.to(dev) * (1 + 0.1 * t)) ** 2).mean().backward()
            if dev == "cuda":
                torch.cuda.set_sync_debug_mode("error")
                try:
                    opt.step()
                finally:
                    torch.cuda.set_sync_debug_mode("default")
            else:
                opt.step()
    for a, b in zip(cpu.parameters(), gpu.parameters()):
        torch.testing.assert_close(a, b.cpu(), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(opts[0].beta_history(), opts[1].beta_history().cpu(), rtol=1e-10, atol=1e-12)

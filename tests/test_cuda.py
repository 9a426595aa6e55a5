"""Every registered claim on CUDA: at ci scale it gives the same verdict as on the
CPU, and its result.json names the CUDA device the claim's tensors were seen on (Context.note_device),
not merely the requested one. Skipped without CUDA; `bench/gpu_check.sh` runs it on a GPU machine.

Also a fast engine check: batched training and the closed-form eNTK on CUDA match the CPU to
float32 / float64 round-off (the same inits and splits: draws are made on CPU generators)."""
import pytest
import torch

from grokcheck.registry import CLAIMS, run_claim

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

RTOL_F32_RUN = 1e-3   # 5 AdamW steps in float32: CPU and CUDA kernels sum in different orders
RTOL_F64 = 1e-10      # float64 closed-form eNTK, two devices


@pytest.mark.parametrize("claim_id", sorted(CLAIMS))
def test_claim_same_verdict_on_cuda(claim_id):
    cpu = run_claim(claim_id, "ci", device="cpu")
    gpu = run_claim(claim_id, "ci", device="cuda")
    assert gpu.verdict_label() == cpu.verdict_label(), (claim_id, gpu.verdict_label(), cpu.verdict_label())
    device = gpu.environment["device"]
    assert "cuda" in device and "not recorded" not in device, (claim_id, device)
    assert gpu.environment["tf32"] is False


def test_batched_training_matches_cpu():
    from grokcheck.models.batched import quadratic_pairs_forward, train_batched
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.models.train import Data, TrainConfig
    from grokcheck.theory.tasks import binary_table
    p, R = 11, 4
    x, y = binary_table(p)
    masks = torch.zeros(R, len(y), dtype=torch.bool)
    masks[:, ::3] = True
    cfg = TrainConfig(steps=5, lr=1e-2, optimizer="adamw", weight_decay=0.1)
    out = {}
    for dev in ("cpu", "cuda"):
        models = [QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(r), device=dev) for r in range(R)]
        hist, params = train_batched(models, Data(x, y), masks, cfg, batched_forward=quadratic_pairs_forward)
        assert hist[0].device.startswith(dev)
        out[dev] = params["W"].cpu()
    assert torch.allclose(out["cpu"], out["cuda"], rtol=RTOL_F32_RUN, atol=RTOL_F32_RUN * out["cpu"].abs().max())


def test_fused_training_matches_cpu_and_autograd():
    """models.fused.train_fused on CUDA (device taken from the tensors, no branch) equals the CPU run and
    the CUDA autograd reference to float64 round-off (NGD + l_inf and AdamW, per-run lrs)."""
    from grokcheck.models.batched import quadratic_pairs_forward, train_batched
    from grokcheck.models.fused import train_fused
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.models.train import Data, TrainConfig
    from grokcheck.theory.tasks import binary_table
    p, R = 11, 3
    x, y = binary_table(p)
    masks = torch.zeros(R, len(y), dtype=torch.bool)
    for r in range(R):
        masks[r, r::3] = True
    for cfg, lrs in ((TrainConfig(steps=20, lr=1.0, optimizer="ngd", penalty="linf", penalty_weight=1e-3,
                                  dtype="float64"), [1.0, 0.5, 2.0]),
                     (TrainConfig(steps=20, lr=1e-2, optimizer="adamw", weight_decay=0.1, dtype="float64"), None)):
        out = {}
        for dev in ("cpu", "cuda"):
            models = [QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(r), dtype=torch.float64,
                                   device=dev) for r in range(R)]
            hist, params = train_fused(models, Data(x, y), masks, cfg, lrs=lrs)
            assert hist[0].device.startswith(dev)
            out[dev] = params["W"].cpu()
            if dev == "cuda":
                _, ref = train_batched(models, Data(x, y), masks, cfg, lrs=lrs, batched_forward=quadratic_pairs_forward)
                assert torch.allclose(out["cuda"], ref["W"].cpu(), rtol=1e-9, atol=1e-12)
        assert torch.allclose(out["cpu"], out["cuda"], rtol=1e-9, atol=1e-12)


def test_closed_form_entk_matches_cpu():
    from grokcheck.models.quadratic import QuadraticNet
    from grokcheck.ntk import empirical_ntk
    from grokcheck.theory.tasks import binary_table
    p = 13
    x = binary_table(p)[0]
    k = {dev: empirical_ntk(QuadraticNet(p, 4 * p, generator=torch.Generator().manual_seed(0), dtype=torch.float64,
                                         device=dev), x, method="closed_form").cpu() for dev in ("cpu", "cuda")}
    assert torch.allclose(k["cpu"], k["cuda"], rtol=RTOL_F64, atol=RTOL_F64 * k["cpu"].abs().max())

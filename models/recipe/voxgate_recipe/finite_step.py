"""One optimiser step, skipped when the loss or the clipped gradient is not finite.

torch's Conv1d backward on this machine's CPU build returns infinite weight gradients now and then, not the same
run to run (encoder_model.py's CausalConv avoids it for the encoder); one such step turns every weight into NaN. The
smoke vocoder (convolutions) went NaN between steps 0 and 100 in one of seven clean-clone checks, most likely so, and
its ONNX export then failed; skipping such a step keeps the weights finite whatever the cause.
"""
from __future__ import annotations

from typing import Iterable

import torch


def finite_step(loss: torch.Tensor, params: Iterable[torch.nn.Parameter], opt: torch.optim.Optimizer, max_norm: float = 1.0) -> bool:
    """Backward, clip, and step unless something is not finite; True when the step was taken."""
    opt.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    if not (torch.isfinite(loss) and torch.isfinite(norm)):
        opt.zero_grad()
        return False
    opt.step()
    return True

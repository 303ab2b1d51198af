"""Reference greedy continuations from torch on a key/value cache, for checking lm.onnx in onnxruntime-node.

Each case is a list of steps evaluated into one sequence in order, as the gateway evaluates a conversation:
`{"tokens": ids}` (embedded from the table), `{"embeddings": rows}` (fed as they are, like an adaptor's
speech embeddings), `{"erase": [start, end]}` (positions removed, later ones move down). The last step's
tokens start the greedy generation. torch runs the same steps through CachedLm (onnx_lm.py) and records,
per generated token, the gap between the two best logits, so a near tie can be told from a bug.
test/integration/onnx-lm-parity.test.ts asserts the ONNX runtime gives the same ids, token for token.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from . import vocab as V
from .lm_model import LlamaLm
from .onnx_lm import CachedLm
from .parity import parity_prompts, top_margin


class TorchSequence:
    """One sequence's cache in torch, stepped as the ONNX runtime steps it."""

    def __init__(self, lm: LlamaLm) -> None:
        self.lm = lm
        self.cached = CachedLm(lm)
        self.cache = self.cached.empty_cache()

    def run(self, embeds: torch.Tensor) -> torch.Tensor:
        out = self.cached(embeds.unsqueeze(0), *self.cache)
        self.cache = [torch.cat([c, n], dim=1) for c, n in zip(self.cache, out[1:])]
        return out[0][0]

    def tokens(self, ids: list[int]) -> torch.Tensor:
        return self.run(self.lm.embed(torch.tensor(ids)))

    def erase(self, start: int, end: int) -> None:
        self.cache = [torch.cat([c[:, :start], c[:, end:]], dim=1) for c in self.cache]

    def greedy(self, ids: list[int], max_new: int, eos_id: int) -> tuple[list[int], list[float]]:
        logits = self.tokens(ids)
        out, margins = [], []
        while True:
            nxt = int(torch.argmax(logits))
            out.append(nxt)
            margins.append(top_margin(logits))
            if nxt == eos_id or len(out) >= max_new:
                return out, margins
            logits = self.tokens([nxt])


def parity_cases(lm: LlamaLm, seed: int = 11) -> list[tuple[str, list[dict]]]:
    """(name, steps): the GGUF parity prompts whole, then cache across calls, embeddings and erasure."""
    gen = torch.Generator().manual_seed(seed)
    cases: list[tuple[str, list[dict]]] = [(name, [{"tokens": p}]) for name, p in parity_prompts(lm.cfg.vocab_size - V.FIRST_UNIT_ID)]
    t, x = V.encode_template, V.encode_text
    first = t("[Human]:") + x("hi") + t("<2t><eoh>[Assistant]:[ta]") + x(" hello!") + t("<eoa>")
    second = t("[Human]:") + x("what is your name?") + t("<2t><eoh>[Assistant]:")
    cases.append(("turns-in-three-calls", [{"tokens": first[:5]}, {"tokens": first[5:]}, {"tokens": second}]))
    # Vectors the size of the table's rows but no row of it: what an adaptor hands the LM.
    scale = float(lm.embed.weight.std())
    rows = (torch.randn(12, lm.cfg.dim, generator=gen) * scale).tolist()
    cases.append(("embeddings", [{"tokens": t("[Human]:<sosp>")}, {"embeddings": rows[:7]}, {"embeddings": rows[7:]},
                                 {"tokens": t("<eosp><2t><eoh>[Assistant]:")}]))
    # The gateway erases the oldest turn when the context fills: later positions move down.
    cases.append(("after-erase", [{"tokens": first}, {"tokens": second[:4]}, {"erase": [0, len(first)]},
                                  {"tokens": second[4:]}]))
    return cases


@torch.no_grad()
def build_onnx_parity(lm: LlamaLm, *, lm_file: str, max_new: int = 64) -> dict:
    lm.eval()
    out = []
    for name, steps in parity_cases(lm):
        seq = TorchSequence(lm)
        for step in steps[:-1]:
            if "tokens" in step:
                seq.tokens(step["tokens"])
            elif "embeddings" in step:
                seq.run(torch.tensor(step["embeddings"], dtype=torch.float32))
            else:
                seq.erase(*step["erase"])
        expected, margins = seq.greedy(steps[-1]["tokens"], max_new, V.EOS_ID)
        out.append({"name": name, "steps": steps, "expected": expected, "margins": [round(m, 6) for m in margins]})
    return {"lm": lm_file, "eosId": V.EOS_ID, "maxNew": max_new, "weights": "f32", "cases": out}


def write_onnx_parity(lm: LlamaLm, path: str | Path, *, lm_file: str = "lm.onnx", max_new: int = 64) -> dict:
    data = build_onnx_parity(lm, lm_file=lm_file, max_new=max_new)
    head = {k: v for k, v in data.items() if k != "cases"}
    cases = ",\n  ".join(json.dumps(c) for c in data["cases"])
    Path(path).write_text(json.dumps(head)[:-1] + ',\n "cases": [\n  ' + cases + "\n ]\n}\n")
    return data

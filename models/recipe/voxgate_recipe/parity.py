"""Reference greedy continuations from torch, for checking the GGUF in node-llama-cpp.

Writes parity.json next to the GGUF: prompts (token ids) mixing templates, text
and units, each with torch's greedy continuation and, per step, the gap between
the two best logits. test/integration/lm-parity.test.ts asserts node-llama-cpp
produces the same ids, token for token (f32; f16 and q8_0 against torch run with the weights as the GGUF
stores them, but for near ties); the margins tell a near tie from a bug.

    /usr/bin/python3 -m voxgate_recipe.parity --checkpoint lm.pt --out models/voxgate-tiny-en/parity.json
"""
from __future__ import annotations

import argparse
import copy
import json
import random
from pathlib import Path

import torch

from . import vocab as V
from .gguf_weights import WEIGHTS, as_stored
from .lm_model import LlamaLm, load_checkpoint


def parity_prompts(unit_count: int, seed: int = 7) -> list[tuple[str, list[int]]]:
    """(name, prompt ids): the four modes' templates, multi-turn history and bare continuations."""
    rng = random.Random(seed)

    def units(n: int) -> list[int]:
        return V.encode_units([rng.randrange(unit_count) for _ in range(n)])

    t = V.encode_template
    x = V.encode_text
    return [
        ("text-to-text", t("[Human]:") + x("what comes after seven?") + t("<2t><eoh>[Assistant]:")),
        ("text-to-speech", t("[Human]:") + x("say hello") + t("<2s><eoh>[Assistant]:")),
        ("speech-to-text", t("[Human]:<sosp>") + units(30) + t("<eosp><2t><eoh>[Assistant]:")),
        ("speech-to-speech", t("[Human]:<sosp>") + units(40) + t("<eosp><2s><eoh>[Assistant]:")),
        ("after-transcript", t("[Human]:<sosp>") + units(20) + t("<eosp><2s><eoh>[Assistant]:[tq]")
         + x(" count from one to five; ") + t("[ta]")),
        ("answer-units", t("[Human]:") + x("spell cat") + t("<2s><eoh>[Assistant]:[ta]")
         + x(" c a t; ") + t("[ua]") + units(8)),
        ("second-turn", t("[Human]:") + x("hi") + t("<2t><eoh>[Assistant]:[ta]") + x(" hello!")
         + t("<eoa>[Human]:") + x("what is your name?") + t("<2t><eoh>[Assistant]:")),
        ("bare-units", t("<sosp>") + units(24)),
    ]


def top_margin(logits: torch.Tensor) -> float:
    """Gap between the best and second-best logit: how safely argmax is decided."""
    top = torch.topk(logits, 2).values
    return float(top[0] - top[1])


@torch.no_grad()
def greedy_with_margins(model: LlamaLm, prompt: list[int], max_new: int, eos_id: int) -> tuple[list[int], list[float]]:
    """Greedy continuation and, per step, the top-1/top-2 logit gap."""
    ids, out, margins = list(prompt), [], []
    for _ in range(max_new):
        logits = model(torch.tensor([ids], dtype=torch.long))[0, -1]
        nxt = int(torch.argmax(logits))
        margins.append(top_margin(logits))
        out.append(nxt)
        ids.append(nxt)
        if nxt == eos_id:
            break
    return out, margins


def as_stored_model(model: LlamaLm, weights: str) -> LlamaLm:
    """A copy whose weights hold the values a GGUF of `weights` gives back (gguf_weights.py)."""
    m = copy.deepcopy(model)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(as_stored(p.detach().cpu().float().numpy(), weights)))
    return m


def build_parity(model: LlamaLm, *, gguf_file: str, max_new: int = 64, weights: str = "f32") -> dict:
    unit_count = (V.unit_id_end() or model.cfg.vocab_size) - V.FIRST_UNIT_ID
    ref = as_stored_model(model, weights)
    ref.eval()
    cases = []
    for name, prompt in parity_prompts(unit_count):
        expected, margins = greedy_with_margins(ref, prompt, max_new, V.EOS_ID)
        cases.append({"name": name, "prompt": prompt, "expected": expected,
                      "margins": [round(m, 6) for m in margins]})
    return {"gguf": gguf_file, "eosId": V.EOS_ID, "maxNew": max_new, "weights": weights,
            "cases": cases}


def write_parity(model: LlamaLm, out_path: str | Path, *, gguf_file: str = "lm.gguf", max_new: int = 64,
                 weights: str = "f32") -> dict:
    data = build_parity(model, gguf_file=gguf_file, max_new=max_new, weights=weights)
    Path(out_path).write_text(_format(data))
    return data


def _format(data: dict) -> str:
    """JSON with one case per line: readable, and diffs stay small."""
    head = {k: v for k, v in data.items() if k != "cases"}
    cases = ",\n  ".join(json.dumps(c) for c in data["cases"])
    return json.dumps(head)[:-1] + ',\n "cases": [\n  ' + cases + "\n ]\n}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="file written by lm_model.save_checkpoint")
    ap.add_argument("--out", required=True, help="parity.json path (next to the GGUF)")
    ap.add_argument("--gguf-file", default="lm.gguf", help="the GGUF's file name, relative to --out's folder")
    ap.add_argument("--max-new", type=int, default=64)
    ap.add_argument("--weights", choices=WEIGHTS, default="f32", help="how the GGUF stores its matrices")
    args = ap.parse_args()
    torch.set_num_threads(1)
    write_parity(load_checkpoint(args.checkpoint), args.out, gguf_file=args.gguf_file, max_new=args.max_new,
                 weights=args.weights)


if __name__ == "__main__":
    main()

"""The two build plans: the full default model and the smoke build CI runs."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .dataset import SMOKE as SMOKE_DATA, DataConfig


@dataclass
class Plan:
    name: str
    data: DataConfig
    lm: dict
    stage1: dict
    stage2: dict
    stage3: dict
    stage3b: dict
    stage3c: dict
    # The speech encoder (encoder_stage.py): CTC steps, batch size in 10 ms mel frames, learning rate.
    encoder: dict = field(default_factory=lambda: dict(steps=1500, lr=2e-3, frames_per_batch=12000, max_seconds=1800))
    multi_turn_share: float = 0.15
    # Earlier turns the manifest lets the model read before a question (lm.earlierTurns): trained with at most one,
    # it answered 506 of 729 dev questions with none and 485 with what the context held (docs/models.md).
    earlier_turns: int = 0
    text_drill_copies: int = 2  # typed copies of every closed-skill fact in each chain-of-modality pass
    max_train_tokens: int = 720
    eval_per_skill: int = 30
    eval_per_condition: int = 60  # dev sentences per listening condition (eval_conditions.py)
    seed: int = 20261125
    stage3d: dict | None = None  # closed-skill drill after 3c (build.py); None = no such stage
    stage3d_drill_copies: int = 24
    # Speech turns with another question's units and the transcript given (sequences.grounded_turns) in
    # stage 3d, as a share of its drill: 0 = none (the plans as measured; build.py --grounded-share).
    stage3d_grounded_share: float = 0.0
    # Repeat and spell on fresh dictionary words (copy_drill.py) in stage 3d, as a share of its drill: 0 = none
    # (build.py --copy-share).
    stage3d_copy_share: float = 0.0
    # Examples heard from text alone (heard_text.py; phoneme units only), as a share of stage 2's transcriptions
    # and of stage 3's turns: 0 = none (the plans as measured; build.py --heard-text).
    heard_text_share: float = 0.0
    # Heard text's channel flattened at this temperature (HeardChannel.widened; build.py --heard-text-widen): 1 = as fitted.
    heard_text_widen: float = 1.0
    # Whole-word pieces added to the LM's text vocabulary, the training texts' most frequent words (text_pieces.py):
    # 0 = characters only
    # (the plans as measured; build.py --text-pieces).
    text_pieces: int = 0
    # Answer-unit pieces, byte-pair merges of the spoken units (spoken_pieces.py): 0 = one token per unit
    # (build.py --spoken-pieces).
    spoken_pieces: int = 0
    # How lm.gguf stores its matrices (gguf_weights.py): q8_0 decodes 16 sequences at 1.2-1.4x f32's tokens/s on this CPU
    # with the same answers (docs/loadtest.md); the smoke build stays f32 for exact parity.
    lm_weights: str = "q8_0"
    cpu_time_caps: bool = False  # keep the stages' max_seconds on a CPU too (a plan fitted to a session)
    # The vocoder's phase head (vocoder_phase_train.py): ≈ 0.42 s a step on 2 cores; the time cap keeps
    # the CPU plan inside its 2 hours.
    phase: dict = field(default_factory=lambda: dict(steps=6000, max_seconds=2400))


FULL = Plan(
    name="voxgate-tiny-en",
    data=DataConfig(),
    lm=dict(dim=256, n_layers=4, n_heads=4, ffn_dim=688, max_seq_len=1024),
    # The CPU plan: with the encoder (30 min cap), data, vocoder and eval it fits 2 hours on 2 cores.
    # Chain-of-modality steps cost ≈ 2.4 s each here (sequences of up to 720 tokens), stage 2's ≈ 1 s.
    stage1=dict(steps=100, lr=1.5e-3, tokens_per_batch=6000),
    stage2=dict(steps=320, lr=1.5e-3, tokens_per_batch=6000, unit_noise=0.1),
    stage3=dict(steps=520, lr=1e-3, tokens_per_batch=6000, unit_noise=0.1),
    # A second chain-of-modality pass with the unit tokens' loss halved: after the first pass the
    # answers' unit tokens dominate the loss while the text parts (transcript, answer) lag behind.
    stage3b=dict(steps=150, lr=8e-4, tokens_per_batch=6000, unit_loss_weight=0.5, unit_noise=0.1),
    stage3c=dict(steps=100, lr=6e-4, tokens_per_batch=6000, unit_loss_weight=0.5),
)

# The same network on more renders of the same texts (each question in several voices), trained
# far longer in bigger batches on a GPU: the shipped weights come from this plan (a 2-core machine
# would need days for it). More voices per text, not more passes, is what keeps a model this size
# from memorising its training utterances. max_seconds caps each stage so the plan fits a
# 10-minute GPU lease; the report records any stage it cut short.
LONG = Plan(
    name="voxgate-tiny-en",
    data=DataConfig(open_skill_voices=3, closed_skill_voices=4, next_count_voices=8, small_talk_voices=48),
    lm=dict(dim=256, n_layers=4, n_heads=4, ffn_dim=688, max_seq_len=1024),
    # Steps and unit noise chosen among GPU runs (0.25x to 1x these steps, noise 0 to 0.25) by a probe
    # of dev-set transcription: longer runs memorise the training utterances (loss → 0) and transcribe
    # unseen voices worse; noise 0.2 on the heard units helped most.
    stage1=dict(steps=240, lr=2e-3, tokens_per_batch=65536, warmup=40, max_seconds=40),
    stage2=dict(steps=720, lr=2e-3, tokens_per_batch=65536, warmup=60, max_seconds=110, unit_noise=0.2),
    stage3=dict(steps=960, lr=1.5e-3, tokens_per_batch=65536, warmup=60, max_seconds=150, unit_noise=0.2),
    stage3b=dict(steps=720, lr=1e-3, tokens_per_batch=65536, warmup=40, unit_loss_weight=0.5, max_seconds=110,
                 unit_noise=0.2),
    stage3c=dict(steps=480, lr=5e-4, tokens_per_batch=65536, warmup=40, unit_loss_weight=0.5, max_seconds=75,
                 unit_noise=0.2),
)

SMOKE = Plan(
    name="voxgate-smoke",
    data=SMOKE_DATA,
    lm=dict(dim=64, n_layers=2, n_heads=2, ffn_dim=160, max_seq_len=1024),
    stage1=dict(steps=10, lr=3e-3, tokens_per_batch=3000, warmup=2),
    stage2=dict(steps=15, lr=3e-3, tokens_per_batch=3000, warmup=2),
    stage3=dict(steps=20, lr=3e-3, tokens_per_batch=3000, warmup=2),
    stage3b=dict(steps=10, lr=2e-3, tokens_per_batch=3000, warmup=2, unit_loss_weight=0.5),
    stage3c=dict(steps=5, lr=2e-3, tokens_per_batch=3000, warmup=2, unit_loss_weight=0.5),
    eval_per_skill=2,
    eval_per_condition=3,
    max_train_tokens=600,
    encoder=dict(steps=20, lr=2e-3, frames_per_batch=4000, model=dict(dim=32, layers=1, heads=2, ffn_dim=64)),
    text_pieces=60,  # so the tests' real LMs (GGUF and ONNX) read and write word pieces
    lm_weights="f32",
)

# Fine-tuning a shipped model's LM to hear the speech encoder's units (build.py --warm-from, warm_start.py):
# the LM already writes and speaks, so far fewer steps than from nothing. The time caps hold on a CPU
# too (cpu_time_caps): 90 minutes in all on 2 cores, whatever else the machine runs.
WARM = dataclasses.replace(
    FULL,
    cpu_time_caps=True,
    stage1=dict(steps=80, lr=1e-3, tokens_per_batch=6000, warmup=20, max_seconds=300),
    stage2=dict(steps=400, lr=1e-3, tokens_per_batch=6000, warmup=30, unit_noise=0.1, max_seconds=1500),
    stage3=dict(steps=600, lr=8e-4, tokens_per_batch=6000, warmup=30, unit_noise=0.1, max_seconds=2400),
    stage3b=dict(steps=200, lr=5e-4, tokens_per_batch=6000, warmup=20, unit_loss_weight=0.5, unit_noise=0.1,
                 max_seconds=720),
    stage3c=dict(steps=120, lr=3e-4, tokens_per_batch=6000, warmup=20, unit_loss_weight=0.5, max_seconds=480),
    stage3d=dict(steps=900, lr=5e-4, tokens_per_batch=6000, warmup=20, unit_loss_weight=0.5, unit_noise=0.1,
                 max_seconds=1200),
)

PLANS = {"full": FULL, "long": LONG, "smoke": SMOKE, "warm": WARM}

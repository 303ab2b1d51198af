"""Writes MODEL_CARD.md from the eval figures, so the card never disagrees with eval.json."""
from __future__ import annotations

import os


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def write_card(out_dir: str, plan, figures: dict) -> None:
    acc = figures["answerAccuracyPerSkillAndMode"]
    modes = ["speech-to-speech", "speech-to-text", "text-to-speech", "text-to-text"]
    rows = []
    for skill in sorted(acc):
        cells = " | ".join(pct(acc[skill].get(m)) for m in modes)
        rows.append(f"| {skill} | {pct(figures['answerAccuracyPerSkill'][skill])} | {cells} |")
    sizes = figures["files"]
    total_mb = sum(sizes.values()) / 1e6
    def train_row(r: dict) -> str:
        if "tokens" not in r:
            return f"| {r['stage']} | {r['steps']} | (trained in an earlier run of the same plan, resumed from its checkpoint) | | | |"
        steps = r["steps"] if "stoppedEarlyAtStep" not in r else f"{r['stoppedEarlyAtStep']} of {r['steps']} (time cap)"
        return (f"| {r['stage']} | {steps} | {r['tokens']:,} | {r['final_loss']:.3f} | {r['seconds']:.0f} | "
                f"{r.get('device', 'cpu')} |")

    plan_name = figures.get("plan", "full")
    devices = sorted({r.get("device", "cpu") for r in figures["training"] if "tokens" in r})
    where = ("the LM on a GPU (" + ", ".join(devices) + "), everything else on 2 CPU cores"
             if any(d.startswith("cuda") for d in devices) else "2 CPU cores")

    train = "\n".join(train_row(r) for r in figures["training"])
    examples = "\n".join(f"| {e['skill']} | {e['question']} | {e['transcript']} | {e['answer']} | {e['expected']} |"
                         for e in figures["examples"][:8])
    t = figures["timings"]
    text = f"""# {plan.name}: model card

{'**Smoke build**: a tiny configuration that exercises every step of the recipe; its figures mean nothing.' if figures['smoke'] else ''}

A SpeechGPT-style speech-language model built by `models/recipe/build.py --plan {plan_name}`
({where}). Speech comes from espeak-ng, so the model understands
**synthetic espeak-ng voices**, not human speech, and answers in one espeak-ng voice
(`en-us`, speed 160, pitch 50) reconstructed by its own vocoder.

## What it can do

Transcribe what it hears; repeat a sentence ("repeat after me ..."); spell a word ("spell ...");
arithmetic on zero to twenty ("what is seven times three" → "twenty one"); which day, month or number
comes after or before another; count between two numbers up to twenty; greet, say its name
(voxgate) and what it can do. Anything else gets "sorry i can only repeat spell count and do simple sums".
All in four modes: speech→speech, speech→text, text→speech, text→text. English, lower case, no punctuation.

## Parts

| part | file | size |
| --- | --- | --- |
| unit extractor: log-mel (40 bands, 25 ms window, 10 ms hop), 3 stacked frames, fixed normalisation, k-means | units.onnx | {sizes['units.onnx'] / 1e6:.2f} MB |
| LM: LLaMA architecture, {figures['lmParameters'] / 1e6:.2f}M parameters, {figures['lmConfig']['n_layers']} layers, dim {figures['lmConfig']['dim']}, context {figures['lmConfig']['max_seq_len']} | lm.gguf (f32) | {sizes['lm.gguf'] / 1e6:.2f} MB |
| vocoder: duration predictor + log-magnitude decoder + Griffin-Lim in the graph | vocoder.onnx | {sizes['vocoder.onnx'] / 1e6:.2f} MB |
| total | | {total_mb:.2f} MB |

## Figures (dev set: voices never used in training; unseen sentences and words for the open skills)

| figure | value |
| --- | --- |
| transcript WER, unseen voices (all dev questions) | {pct(figures['transcriptWerUnseenVoices'])} |
| transcript WER, unseen sentences (transcription, repeat, spell, other) | {pct(figures['transcriptWerUnseenSentences'])} |
| vocoder round trip WER, the LM's own answer units (vocode → re-encode → re-transcribe) | {pct(figures['vocoderRoundTripWerGeneratedUnits'])} |
| vocoder round trip WER, reference answer units | {pct(figures['vocoderRoundTripWerReferenceUnits'])} |
| the same answers' espeak-ng rendering transcribed, no vocoder (the round trip's floor: the LM's ASR on answer texts) | {pct(figures.get('answerVoiceTranscriptWerWithoutVocoder'))} |
| torch decode speed (KV cache, 1 thread) | {figures['torchDecodeMsPerToken']} ms/token |

Answer accuracy (exact match of the answer text):

| skill | all modes | {' | '.join(modes)} |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

## Training (the three SpeechGPT stages)

| stage | steps | tokens | final loss | seconds | device |
| --- | --- | --- | --- | --- | --- |
{train}

This build's own steps: data {t['dataSeconds']:.0f} s, vocoder {t['vocoderSeconds']:.0f} s, LM {t['lmSeconds']:.0f} s
(export only, where the stages were resumed), eval {t['evalSeconds']:.0f} s.

## Examples from the dev set

| skill | question | transcript | answer | expected |
| --- | --- | --- | --- | --- |
{examples}

## Limits

- Synthetic voices only: real microphones, noise and human accents are outside its training.
- Voices it never heard: its units are k-means over log-mel frames, which depend on the voice far more than
  HuBERT's units do, so transcription of unseen espeak-ng variants degrades (the WER above), and with it every
  skill whose answer copies what was heard (repeat, spell) or depends on exact numbers (arithmetic).
- The round-trip figures re-transcribe answers with this model's own ASR, which was trained on questions, not on
  answer texts (spelled letters, number lists): the no-vocoder row shows that floor.
- Its knowledge is the skill list above; it does not converse beyond it.
- Griffin-Lim speech is intelligible but buzzy; a learned waveform vocoder would sound better.

Figures come from `eval.json`, written by the same build (`/usr/bin/python3 models/recipe/build.py --plan {plan_name} --out DIR`;
`docs/models.md` gives the exact commands that built the shipped folder).
"""
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w") as f:
        f.write(text)

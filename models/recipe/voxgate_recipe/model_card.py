"""Writes MODEL_CARD.md from the eval figures, so the card never disagrees with eval.json."""
from __future__ import annotations

import os


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


CONDITION_NAMES = {
    "trainingVoices": "training voices (espeak-ng and flite), clean",
    "unseenEspeakVoices": "espeak-ng variants and accent never trained on, clean",
    "heldOutFliteVoice": "held-out flite voice (rms), clean",
    "telephoneBand": "unseen espeak-ng voices, 8 kHz μ-law telephone band",
    "opusRoundTrip": "unseen espeak-ng voices, Opus 24 kb/s round trip",
    "noisyRoomUnseenVoices": "unseen espeak-ng voices, random channel (noise, reverb, pace, pitch, ...)",
    "heldOutHumanVoices": "held-out human voices (a hedgewars voice, a kajongg voice)",
}


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
    enc = figures.get("encoder") or {}
    per = enc.get("phonemeErrorRate", {})
    hours = enc.get("hours", {})
    cond = figures.get("conditions", {})
    base = figures.get("baselineConditions") or {}
    base_head = f" the earlier {base_name} |" if (base_name := figures.get("baselineModel")) else ""
    cond_rows = "\n".join(f"| {CONDITION_NAMES.get(k, k)} | {pct(v['wer'])} |"
                           + (f" {pct(base[k]['wer']) if k in base else 'n/a'} |" if base_head else "")
                           + f" {v['utterances']} |" for k, v in cond.items())
    warm = figures.get("warmFrom")
    build_flags = f"--plan {plan_name}" + (f" --warm-from {warm}" if warm else "")
    vocoder_row = (f"vocoder, kept from `{warm}`: it speaks that model's log-mel k-means units (LM tokens `<0>`…"
                   f"`<{figures.get('spokenUnitCount', 128) - 1}>`); duration predictor + log-magnitude decoder + phase head, one "
                   "inverse STFT in the graph"
                   if warm else "vocoder: duration predictor + log-magnitude decoder + phase head, one inverse STFT in the graph")
    warm_text = (f"""
The LM was not trained from nothing: it is `{warm}`'s LM, fine-tuned (`warm_start.py`) to hear the
encoder's units, which are new tokens numbered after that model's own units (manifest `units.tokenOffset`).
Its answers keep that model's units and vocoder, so it speaks as before; only its hearing changed.
""" if warm else "")
    per_rows = "\n".join(f"| {k} | {pct(v)} | {hours.get(k, 0):.2f} |" for k, v in per.items())
    hours_train = hours.get("train", 0)
    hours_human = hours.get("train-human", 0)
    text = f"""# {plan.name}: model card

{'**Smoke build**: a tiny configuration that exercises every step of the recipe; its figures mean nothing.' if figures['smoke'] else ''}

A SpeechGPT-style speech-language model built by `models/recipe/build.py --plan {plan_name}`
({where}). Its ears are a small speech encoder trained with CTC on phonemes, on
{hours_train:.1f} h of synthetic speech (espeak-ng and flite voices through random channels: pace, vocal
tract, pitch, room, noise, level, telephone band, Opus) and {hours_human:.1f} h of real speech from Debian's
packages (one speaker's telephone prompts, game and learning voices; each clip in several channels).
It answers in one espeak-ng voice (`en-us`, speed 160, pitch 50) reconstructed by its own vocoder.
{warm_text}
## What it can do

Transcribe what it hears; repeat a sentence ("repeat after me ..."); spell a word ("spell ...");
arithmetic on zero to twenty ("what is seven times three" → "twenty one"); which day, month or number
comes after or before another; count between two numbers up to twenty; greet, say its name
(voxgate) and what it can do. Anything else gets "sorry i can only repeat spell count and do simple sums".
All in four modes: speech→speech, speech→text, text→speech, text→text. English, lower case, no punctuation.

## Parts

| part | file | size |
| --- | --- | --- |
| unit extractor: speech encoder (log-mel 40 bands → causal convolutions to 20 ms → {enc.get('config', {}).get('layers', 4)} local-attention layers, {enc.get('parameters', 0) / 1e6:.2f}M parameters, CTC on phonemes) + k-means over its hidden states, one unit per 20 ms | units.onnx | {sizes['units.onnx'] / 1e6:.2f} MB |
| LM: LLaMA architecture, {figures['lmParameters'] / 1e6:.2f}M parameters, {figures['lmConfig']['n_layers']} layers, dim {figures['lmConfig']['dim']}, context {figures['lmConfig']['max_seq_len']} | lm.gguf (f32) | {sizes['lm.gguf'] / 1e6:.2f} MB |
| {vocoder_row} | vocoder.onnx | {sizes['vocoder.onnx'] / 1e6:.2f} MB |
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

Transcript WER per listening condition (dev sentences never trained on; speech-to-text through the
same units the gateway extracts):

| condition | transcript WER |{base_head} utterances |
| --- | --- |{' --- |' if base_head else ''} --- |
{cond_rows}

The encoder alone (greedy CTC phoneme error rate, before units and the LM; hours rendered per set):

| set | phoneme error rate | hours |
| --- | --- | --- |
{per_rows}

Answer accuracy (exact match of the answer text):

| skill | all modes | {' | '.join(modes)} |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

## Training (the three SpeechGPT stages)

| stage | steps | tokens | final loss | seconds | device |
| --- | --- | --- | --- | --- | --- |
{train}

This build's own steps: encoder {t.get('encoderSeconds', 0):.0f} s, data {t['dataSeconds']:.0f} s, vocoder {t['vocoderSeconds']:.0f} s, LM {t['lmSeconds']:.0f} s
(export only, where the stages were resumed), eval {t['evalSeconds']:.0f} s.

## Examples from the dev set

| skill | question | transcript | answer | expected |
| --- | --- | --- | --- | --- |
{examples}

## Limits

- Real voices: about half an hour of real speech from a handful of people is all the registries hold; the
  held-out human row above is what that buys. Expect human callers, accents and real rooms to be heard worse
  than synthetic voices.
- Voices it never heard: the encoder is trained to ignore who speaks, but it has heard few real people, so
  every skill whose answer copies what was heard (repeat, spell) or depends on exact numbers (arithmetic)
  degrades with the transcript WER above.
- The round-trip figures re-transcribe answers with this model's own ASR, which was trained on questions, not on
  answer texts (spelled letters, number lists): the no-vocoder row shows that floor.
- Its knowledge is the skill list above; it does not converse beyond it.
- Griffin-Lim speech is intelligible but buzzy; a learned waveform vocoder would sound better.

{'The vocoder round trip of a warm build is measured through the gateway instead (`npm run bench:hearing`): the recipe keeps no torch copy of a shipped vocoder.' if warm else ''}
Figures come from `eval.json`, written by the same build (`/usr/bin/python3 models/recipe/build.py {build_flags} --out DIR`;
`docs/models.md` gives the exact commands that built the shipped folder).
"""
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w") as f:
        f.write(text)

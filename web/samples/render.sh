#!/usr/bin/env bash
# Renders the demo page's sample questions with espeak-ng: 16 kHz mono 16-bit WAV, one per question, plus
# index.json (id, question, the answer the model was taught). Voice en-us, a voice the model trained on.
#   bash web/samples/render.sh
set -euo pipefail
cd "$(dirname "$0")"
VOICE=${VOICE:-en-us}
# id | question | expected answer
QUESTIONS=(
  "two-plus-three|what is two plus three|five"
  "spell-house|spell house|h o u s e"
  "count-to-five|count from one to five|one two three four five"
  "after-monday|what day comes after monday|tuesday"
  "your-name|what is your name|my name is voxgate"
  "cat-sat|repeat after me the cat sat on the mat|the cat sat on the mat"
)
entries=()
for q in "${QUESTIONS[@]}"; do
  IFS='|' read -r id text answer <<<"$q"
  espeak-ng -v "$VOICE" "$text" --stdout | sox -t wav - -r 16000 -c 1 -b 16 "$id.wav"
  ms=$(soxi -D "$id.wav" | awk '{printf "%d", $1 * 1000}')
  entries+=("  {\"id\": \"$id\", \"question\": \"$text\", \"expected\": \"$answer\", \"durationMs\": $ms}")
done
{
  echo '{"voice": "'"$VOICE"'", "sampleRateHz": 16000, "samples": ['
  (IFS=$'\n'; echo "${entries[*]}" | sed '$!s/$/,/')
  echo ']}'
} >index.json
echo "rendered ${#QUESTIONS[@]} questions → $(pwd)"

"""voxgate's training recipe: builds the default speech-language model from nothing."""

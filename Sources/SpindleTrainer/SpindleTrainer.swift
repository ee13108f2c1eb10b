// SpindleTrainer: the embedded CPU trainer — Llama forward/backward on OpenBLAS, AdamW, schedules,
// Hugging Face-layout checkpoints, sampling, and the post-training stages.

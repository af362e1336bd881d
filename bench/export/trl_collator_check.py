"""hf-parquet rows through TRL's own padding-free collator keep datagen's masks and boundaries:
SFTTrainer keeps only its signature columns (input_ids, labels, seq_lengths, …), and
trl.trainer.sft_trainer.DataCollatorForLanguageModeling(padding_free=True) must give back our
labels and position_ids (rebuilt from seq_lengths) position by position.

  python3 bench/export/trl_collator_check.py EXPORT_DIR   # needs trl, datasets (pip)
"""
import sys

import numpy as np
from datasets import load_dataset
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

SIGNATURE = ["input_ids", "labels", "seq_lengths", "completion_mask", "assistant_masks"]


def main():
    ds = load_dataset("parquet", data_dir=sys.argv[1], split="train")
    collate = DataCollatorForLanguageModeling(pad_token_id=199999, padding_free=True)
    rows = [{k: v for k, v in row.items() if k in SIGNATURE} for row in ds]
    batch = collate(rows)
    ours_ids = np.concatenate([np.asarray(r["input_ids"]) for r in ds])
    ours_labels = np.concatenate([np.asarray(r["labels"]) for r in ds])
    ours_pos = np.concatenate([np.asarray(r["position_ids"]) for r in ds])
    ok = (np.array_equal(batch["input_ids"][0].numpy(), ours_ids)
          and np.array_equal(batch["labels"][0].numpy(), ours_labels)
          and np.array_equal(batch["position_ids"][0].numpy(), ours_pos))
    print({"rows": len(ds), "tokens": int(ours_ids.size), "trained": int((ours_labels != -100).sum()), "identical": bool(ok)})
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

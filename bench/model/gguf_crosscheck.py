#!/usr/bin/env python3
"""One-off cross-check of datagen's GGUF writer against the Python `gguf` package (gguf-py, the
package llama.cpp's converters use). Not part of the test suite and never a runtime dependency.

  python3 bench/model/gguf_crosscheck.py PATH.gguf

1. gguf-py's GGUFReader reads our file; the metadata types llama.cpp checks are verified.
2. gguf-py's GGUFWriter writes the same metadata (same order and types) and tensors into a new file,
   which must be byte-identical to ours. Prints both files' sizes and gguf-py's read+write time.
"""
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGUFWriter, GGMLQuantizationType

EXPECTED_TYPES = {
    "gpt-oss.block_count": GGUFValueType.UINT32,
    "gpt-oss.context_length": GGUFValueType.UINT32,
    "gpt-oss.embedding_length": GGUFValueType.UINT32,
    "gpt-oss.expert_count": GGUFValueType.UINT32,
    "gpt-oss.expert_used_count": GGUFValueType.UINT32,
    "gpt-oss.attention.layer_norm_rms_epsilon": GGUFValueType.FLOAT32,
    "gpt-oss.rope.freq_base": GGUFValueType.FLOAT32,
    "gpt-oss.rope.scaling.factor": GGUFValueType.FLOAT32,
    "general.alignment": GGUFValueType.UINT32,
}


def main(path: str) -> int:
    started = time.perf_counter()
    reader = GGUFReader(path)
    # Skip the reader's pseudo-fields (GGUF.version, GGUF.tensor_count, GGUF.kv_count).
    fields = [f for f in reader.fields.values() if not f.name.startswith("GGUF.")]
    for key, vtype in EXPECTED_TYPES.items():
        got = reader.fields[key].types[0]
        assert got == vtype, f"{key}: {got.name}, expected {vtype.name}"
    token_type = reader.fields["tokenizer.ggml.token_type"]
    assert token_type.types == [GGUFValueType.ARRAY, GGUFValueType.INT32], token_type.types
    tokens = reader.fields["tokenizer.ggml.tokens"]
    assert len(tokens.data) == 201_088, len(tokens.data)
    assert tokens.contents(200_006) == "<|start|>"

    out = Path(tempfile.mkdtemp()) / "rewritten.gguf"
    arch = reader.fields["general.architecture"].contents()
    assert fields[0].name == "general.architecture", "gguf-py writes general.architecture first"
    writer = GGUFWriter(out, arch)
    for field in fields[1:]:
        main_type = field.types[0]
        sub_type = field.types[-1] if main_type == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), main_type, sub_type)
    for tensor in reader.tensors:
        if tensor.tensor_type == GGMLQuantizationType.BF16:
            writer.add_tensor(tensor.name, np.asarray(tensor.data).view(np.uint8),
                              raw_shape=list(reversed(tensor.shape.tolist())), raw_dtype=GGMLQuantizationType.BF16)
        else:
            writer.add_tensor(tensor.name, np.asarray(tensor.data))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    seconds = time.perf_counter() - started

    ours = Path(path).read_bytes()
    theirs = out.read_bytes()
    same = ours == theirs
    print(f"gguf-py read+write: {seconds:.2f} s; ours {len(ours)} bytes, gguf-py {len(theirs)} bytes; identical: {same}")
    if not same:
        first = next(i for i in range(min(len(ours), len(theirs))) if ours[i] != theirs[i])
        print(f"first difference at byte {first}")
    out.unlink()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""Writes a tiny, randomly initialised llama-architecture model as GGUF, for integration tests
against llama.cpp's server (llama-cpp-python). No weights are downloaded: every tensor is random
(seeded), so the model's answers are nonsense, but everything around them — tokenizer, sampling,
logprobs, chat template, embeddings, the HTTP API — is llama.cpp's own.

    python make-tiny-gguf.py OUT.gguf [--seed N]

Architecture: llama, 2 blocks, 64-wide embeddings, 4 heads, 128-wide feed-forward, 512 context.
Tokenizer: SentencePiece-style ("llama") with <unk>, <s>, </s>, the 256 byte-fallback tokens and the
printable ASCII characters with and without the word-start marker, so any text tokenizes.
"""

import argparse

import gguf
import numpy as np

N_EMBD = 64
N_HEAD = 4
N_FF = 128
N_LAYER = 2
N_CTX = 512

# a minimal chat template (Jinja, as llama.cpp and llama-cpp-python read it from the metadata)
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<s>' + message['role'] + ': ' + message['content'] + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
)


def vocabulary() -> tuple[list[str], list[float], list[int]]:
    tokens = ["<unk>", "<s>", "</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    for c in (chr(i) for i in range(33, 127)):
        tokens += [c, "\u2581" + c]
        types += [gguf.TokenType.NORMAL, gguf.TokenType.NORMAL]
    tokens.append("\u2581")
    types.append(gguf.TokenType.NORMAL)
    scores = [0.0] * len(tokens)
    for i, token in enumerate(tokens):
        if types[i] == gguf.TokenType.NORMAL:
            scores[i] = -float(len(token))
    return tokens, scores, [int(t) for t in types]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    tokens, scores, types = vocabulary()
    n_vocab = len(tokens)

    writer = gguf.GGUFWriter(args.out, "llama")
    writer.add_name("evalhub-tiny-random-llama")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    # one vector per input when the server runs it with embeddings on (OpenAI's /v1/embeddings shape)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    def weight(*shape: int) -> np.ndarray:
        # numpy shape is ggml's ne reversed: (rows, cols) = (out, in)
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    writer.add_tensor("token_embd.weight", weight(n_vocab, N_EMBD))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, N_EMBD))
    for i in range(N_LAYER):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.attn_q.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_k.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_v.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_output.weight", weight(N_EMBD, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(N_EMBD, N_FF))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(args.out)


if __name__ == "__main__":
    main()

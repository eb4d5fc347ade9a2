"""The bytes the benchmark server sends and the decoding scenarios feed.

Standalone on purpose (standard library only): the server, our clients and the peers'
clients (which run in `bench/.venv-peers`, where `meshapi` is the 0.1.x package) all
import it by file, never through the `meshapi` name.
"""

from __future__ import annotations

import json

CHUNK_ID = "chatcmpl-bench"
CREATED = 1767225600
MODEL = "openai/gpt-4o-mini"
REQUEST_ID = "req_01JH7Z8K4M2Q9V6X3B5N0C1D2E"

_WORDS = ("The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".")


def _dumps(obj: object) -> bytes:
    # Compact JSON, as the gateway writes it (protocol.md §3.1).
    return json.dumps(obj, separators=(",", ":")).encode()


def chat_chunk(content: str, *, role: bool = False, finish: str | None = None) -> bytes:
    delta: dict[str, object] = {"content": content}
    if role:
        delta = {"role": "assistant", "content": content}
    return _dumps(
        {
            "id": CHUNK_ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def usage_chunk(completion_tokens: int) -> bytes:
    return _dumps(
        {
            "id": CHUNK_ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL,
            "choices": [],
            "usage": {
                "prompt_tokens": 12,
                "completion_tokens": completion_tokens,
                "total_tokens": 12 + completion_tokens,
            },
            "cost": "0.0000189",
        }
    )


def sse_events(n_chunks: int) -> list[bytes]:
    """One chat stream as SSE events (each ending with its blank line): `n_chunks` items.

    The items are a role chunk, text deltas, a finish chunk and the usage chunk (so
    `n_chunks` counts every typed item a client yields), then `data: [DONE]`.
    """
    assert n_chunks >= 3
    payloads = [chat_chunk("", role=True)]
    payloads += [chat_chunk(_WORDS[i % len(_WORDS)]) for i in range(n_chunks - 3)]
    payloads.append(chat_chunk("", finish="stop"))
    payloads.append(usage_chunk(n_chunks - 3))
    events = [b"data: " + payload + b"\n\n" for payload in payloads]
    events.append(b"data: [DONE]\n\n")
    return events


def sse_capture(n_chunks: int) -> bytes:
    """The event-stream body of a chat stream of `n_chunks` items."""
    return b"".join(sse_events(n_chunks))


def big_event_capture(size: int) -> bytes:
    """One chat chunk whose content is `size` bytes of base64-like text, then [DONE]."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    content = (alphabet * (size // len(alphabet) + 1))[:size]
    return b"data: " + chat_chunk(content, role=True) + b"\n\ndata: [DONE]\n\n"


def chat_completion() -> bytes:
    """A non-streaming chat completion, as the gateway answers it."""
    return _dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello! How can I help today?"},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
            "system_fingerprint": None,
        }
    )


_BRANDS = ("openai", "anthropic", "google", "meta", "mistral", "deepseek", "qwen", "xai")


def model_rows(count: int) -> list[dict[str, object]]:
    """`count` catalogue rows shaped like the gateway's `GET /v1/models` (protocol.md §2.9)."""
    rows: list[dict[str, object]] = []
    for i in range(count):
        brand = _BRANDS[i % len(_BRANDS)]
        free = i % 7 == 0
        price_in = "0" if free else f"0.{(i % 9) + 1}5"
        price_out = "0" if free else f"{(i % 5) + 1}.{i % 10}"
        rows.append(
            {
                "id": f"{brand}/model-{i}",
                "name": f"{brand.title()} Model {i}",
                "brand": brand,
                "provider": brand,
                "is_free": free,
                "is_composite": False,
                "composite_models": None,
                "context_length": 128000,
                "context_window": 128000,
                "description": f"{brand.title()} Model {i} through the MeshAPI gateway.",
                "model_type": "text",
                "input_modalities": ["text", "image"],
                "output_modalities": ["text"],
                "supports_thinking": i % 3 == 0,
                "supports_completions_api": True,
                "supports_responses_api": True,
                "supports_realtime": False,
                "supports_embeddings": False,
                "supports_tools": True,
                "supports_structured_output": i % 2 == 0,
                "supports_system_prompt": True,
                "supports_batching": True,
                "supports_background_response": True,
                "supports_video_generation": False,
                "pricing": {
                    "pricing_unit": "per_1m_tokens",
                    "input_usd_per_unit": price_in,
                    "output_usd_per_unit": price_out,
                    "prompt_usd_per_1m": price_in,
                    "completion_usd_per_1m": price_out,
                    "prompt_usd_per_1k": None,
                    "completion_usd_per_1k": None,
                    "image_usd_per_image": None,
                    "image_output_usd_per_image": None,
                    "discount_pct": "0",
                    "prompt_usd_per_1k_discounted": None,
                    "completion_usd_per_1k_discounted": None,
                    "effective_date": "2026-01-01",
                    "batch_input_usd_per_1m": price_in,
                    "batch_output_usd_per_1m": price_out,
                },
            }
        )
    return rows


def models_list(count: int) -> bytes:
    """The bare JSON array `GET /v1/models` answers with (what meshapi reads)."""
    return _dumps(model_rows(count))


def models_page(count: int) -> bytes:
    """The same rows in the OpenAI list envelope (what the `openai` package reads)."""
    return _dumps({"object": "list", "data": model_rows(count)})

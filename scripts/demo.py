"""The quick-start demo: the SDK against the embedded local gateway.

Starts `meshapi.testing.MeshAPIGateway` on 127.0.0.1, then streams a chat reply and a
two-model compare (with the judge's synthesis), printing text as it arrives.
"""

from __future__ import annotations

import sys

from meshapi import ChatCompletionParams, ChatMessage, CompareParams, MeshAPI
from meshapi.testing import MeshAPIGateway


def main() -> int:
    with MeshAPIGateway() as gateway:
        client = MeshAPI(base_url=gateway.url, token=gateway.token)
        print(f"local gateway at {gateway.url}\n")

        print("== streamed chat (openai/gpt-4o-mini)")
        params = ChatCompletionParams(
            model="openai/gpt-4o-mini",
            messages=[ChatMessage(role="user", content="Write a haiku about Python.")],
        )
        with client.chat.completions.stream(params) as stream:
            for text in stream.text_stream():
                print(text, end="", flush=True)
            final = stream.get_final_completion()
        usage = final.usage
        print(f"\n[{usage.total_tokens if usage else '?'} tokens, request {stream.request_id}]\n")

        models = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"]
        print(f"== compare {' vs '.join(models)}")
        compare = CompareParams(
            models=models,
            messages=[ChatMessage(role="user", content="What is the capital of France?")],
        )
        with client.compare.stream(compare) as events:
            for event in events:
                if event.event == "model_chunk" and event.content:
                    print(f"- {event.model} ({event.latency_ms} ms): {event.content}")
                elif event.event == "comparison_chunk" and event.delta:
                    print(event.delta, end="", flush=True)
                elif event.event == "done":
                    print(f"\n[compare done in {event.total_latency_ms} ms]")
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

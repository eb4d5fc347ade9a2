"""Fan one prompt out to several models at once, under trio, with `meshapi.AsyncMeshAPI`.

    MESHAPI_BASE_URL=http://127.0.0.1:8000 MESHAPI_TOKEN=rsk_... \\
        python examples/trio_fanout.py "Explain TCP in one sentence." \\
        -m openai/gpt-4o-mini -m anthropic/claude-haiku-4.5 -m google/gemini-2.5-flash

(`python -m meshapi.testing --port 8000` serves a local gateway to try it against.)

Every model is asked in its own task of one trio nursery, so the calls are in flight
together and the whole run takes about as long as the slowest model, not the sum. The
httpx-backed async client runs on trio as it does on asyncio (through anyio), and one
client is shared by all tasks: its connection pool opens one connection per call in
flight. A model that fails does not cancel the others: its task catches the
`MeshAPIError` and reports it, so the nursery only ever sees the tasks end normally.

Output, in the order the models were given (the exit status is 1 if any failed):

    == openai/gpt-4o-mini
    <the reply>

    == anthropic/claude-haiku-4.5
    error: rate_limit_exceeded (HTTP 429): ...
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import trio

from meshapi import AsyncMeshAPI, ChatCompletionResponse, ContentPartText, MeshAPIError

DEFAULT_MODELS = ("openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash")


@dataclass(frozen=True)
class Answer:
    """One model's outcome: its reply text, or the error it failed with."""

    model: str
    text: str | None = None
    error: MeshAPIError | None = None


def reply_text(reply: ChatCompletionResponse) -> str:
    """The text of the first choice (content may be a string or a list of parts)."""
    message = reply.choices[0].message if reply.choices else None
    content = message.content if message is not None else None
    if content is None or isinstance(content, str):
        return content or ""
    return "".join(part.text for part in content if isinstance(part, ContentPartText))


async def fan_out(client: AsyncMeshAPI, prompt: str, models: Sequence[str]) -> list[Answer]:
    """Ask every model (each once, duplicates dropped) concurrently; answers in order."""
    unique = list(dict.fromkeys(models))
    answers: dict[str, Answer] = {}

    async def ask(model: str) -> None:
        try:
            reply = await client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": prompt}]
            )
        except MeshAPIError as error:
            answers[model] = Answer(model, error=error)
            return
        answers[model] = Answer(model, text=reply_text(reply))

    async with trio.open_nursery() as nursery:
        for model in unique:
            nursery.start_soon(ask, model)
    return [answers[model] for model in unique]


def render(answer: Answer) -> str:
    if answer.error is not None:
        error = answer.error
        status = f" (HTTP {error.status})" if error.status else ""
        return f"== {answer.model}\nerror: {error.error_code}{status}: {error}\n"
    return f"== {answer.model}\n{answer.text}\n"


async def run(prompt: str, models: Sequence[str], *, base_url: str | None,
              token: str | None, timeout: float, max_retries: int) -> int:
    async with AsyncMeshAPI(
        base_url=base_url, token=token, timeout=timeout, max_retries=max_retries
    ) as client:
        answers = await fan_out(client, prompt, models)
    print("\n".join(render(answer) for answer in answers), end="")
    return 1 if any(answer.error is not None for answer in answers) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prompt")
    parser.add_argument("-m", "--model", action="append", dest="models",
                        help=f"a model to ask (repeatable; default: {', '.join(DEFAULT_MODELS)})")
    parser.add_argument("--base-url", help="the gateway (default: $MESHAPI_BASE_URL)")
    parser.add_argument("--token", help="the API key (default: $MESHAPI_TOKEN)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    parser.add_argument("--max-retries", type=int, default=3, help="retries per model")
    args = parser.parse_args(argv)
    try:
        return trio.run(
            lambda: run(args.prompt, args.models or DEFAULT_MODELS, base_url=args.base_url,
                        token=args.token, timeout=args.timeout, max_retries=args.max_retries)
        )
    except ValueError as error:  # no token: the client names MESHAPI_TOKEN
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

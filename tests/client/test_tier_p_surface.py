"""The tier-P public surface (protocol.md §8.1, §8.2): names, resources, sync/async parity."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

import meshapi
from meshapi.testing import MeshAPIGateway

TIER_P_TYPES = (
    "ResponsesListResponse",
    "ResponsesListItem",
    "ModelSearchParams",
    "ModelsPage",
    "ImageEditParams",
    "ImageRef",
    "SpeechParams",
    "VoiceSettings",
    "PronunciationDictionaryLocator",
    "TranscriptionParams",
    "TranscriptionTranslateParams",
    "AudioTranslationsParams",
    "TranscriptionResponse",
    "ListVoicesParams",
    "Voice",
    "VoicesResponse",
    "VideoGenerationParams",
    "VideoContentItem",
    "CreateVideoGenerationResponse",
    "ListVideoGenerationsParams",
    "VideoTaskResponse",
    "VideoTaskListResponse",
    "ModerationParams",
    "ModerationResponse",
    "ModerationResult",
    "WebSearchParams",
    "WebSearchResponse",
    "WebSearchResultItem",
    "RouterSelectParams",
    "RouterSelectResponse",
    "AutoRouterMeta",
    "ModerationImageUrl",
    "ModerationInputItem",
    "VideoTaskContent",
    "VideoTaskError",
    "VideoTaskUsage",
    "StructuredOutputError",
)

RESOURCES = {
    "audio": (
        "AudioResource",
        "synthesize transcribe get_transcription translate "
        "audio_translate list_voices list_all_voices get_voice",
    ),
    "videos": ("VideosResource", "generate list list_all retrieve wait"),
    "moderations": ("ModerationsResource", "create"),
    "web": ("WebResource", "search"),
    "router": ("RouterResource", "select"),
}
ADDITIONS = {
    "images": "edit",
    "models": "search get",
    "responses": "list get",
}


@pytest.mark.parametrize("name", TIER_P_TYPES)
def test_every_tier_p_name_is_exported(name: str) -> None:
    assert name in meshapi.__all__
    assert getattr(meshapi, name) is not None


@pytest.mark.parametrize("attribute", sorted(RESOURCES))
def test_each_resource_has_a_sync_and_an_async_class(attribute: str) -> None:
    name, methods = RESOURCES[attribute]
    sync_class = getattr(meshapi, name)
    async_class = getattr(meshapi, f"Async{name}")
    assert {name, f"Async{name}"} <= set(meshapi.__all__)
    for method in methods.split():
        sync_method = getattr(sync_class, method)
        async_method = getattr(async_class, method)
        sync_parameters = inspect.signature(sync_method).parameters
        assert sync_parameters == inspect.signature(async_method).parameters, method
        assert sync_method.__doc__ == async_method.__doc__


def _clients(gw: MeshAPIGateway) -> list[Any]:
    clients: list[Any] = [
        meshapi.MeshAPI(base_url=gw.url, token=gw.token),
        meshapi.AsyncMeshAPI(base_url=gw.url, token=gw.token),
    ]
    try:
        import meshapi_aiohttp
    except ImportError:  # pragma: no cover - the extra is installed in the dev venv
        return clients
    clients.append(meshapi_aiohttp.AsyncMeshAPI(base_url=gw.url, token=gw.token))
    return clients


def test_every_client_flavour_has_the_tier_p_resources() -> None:
    with MeshAPIGateway() as gw:
        sync_client, *async_clients = _clients(gw)
        try:
            for client in (sync_client, *async_clients):
                for attribute, (name, methods) in RESOURCES.items():
                    resource = getattr(client, attribute)
                    assert type(resource).__name__.removeprefix("Async") == name
                    for method in methods.split():
                        assert callable(getattr(resource, method))
                for attribute, methods in ADDITIONS.items():
                    for method in methods.split():
                        assert callable(getattr(getattr(client, attribute), method))
                assert callable(client.chat.completions.parse)
        finally:
            sync_client.close()

            async def close() -> None:
                for client in async_clients:
                    await client.aclose()

            asyncio.run(close())


def test_parse_is_typed_by_its_response_format() -> None:
    # parse's overloads: a class gives its instance type, a dict gives Any.
    parse = meshapi.ChatCompletionsResource.parse
    assert "response_format" in inspect.signature(parse).parameters
    assert inspect.signature(parse).parameters["max_retries"].default == 0

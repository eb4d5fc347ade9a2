"""Everything the running gateway holds: configuration, clock, keys, stores, introspection."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ._audio import TranscriptionStore
from ._auth import KeyRing
from ._batches import BatchStore
from ._catalogue import Catalogue
from ._clock import GatewayClock
from ._faults import FaultSet, ModelFaultSet
from ._features import FeatureFlags
from ._idempotency import IdempotencyStore
from ._rag import FileStore
from ._recording import ConnectionTracker, RealtimeLog, RequestLog
from ._stored_responses import ResponseStore
from ._templates import TemplateStore
from ._video import VideoStore

__all__ = ["SUPPORTED_API_VERSIONS", "GatewayState", "GatewayTimings"]

SUPPORTED_API_VERSIONS = ("2026-08",)


@dataclass(frozen=True)
class GatewayTimings:
    """How long things take, in gateway-clock seconds unless noted.

    The defaults let a client polling every 0.05–0.5 s see a batch `completed` and a RAG
    file `ready` within about a second of real time; with a frozen clock
    (`clock_speed=0`) nothing moves until the test calls `gw.clock.advance()`.
    """

    batch_validating: float = 0.2
    batch_in_progress: float = 0.6
    rag_upload: float = 0.1
    rag_embedding_pending: float = 0.1
    rag_embedding_processing: float = 0.3
    # Tier P: video tasks are queued, then running, then done; background responses are
    # queued, then in progress, then completed.
    video_queued: float = 0.2
    video_running: float = 0.6
    response_background_queued: float = 0.1
    response_background_running: float = 0.3
    upload_url_ttl: float = 900.0
    # Real seconds, not clock seconds: these pace bytes on a socket.
    image_processing_interval: float = 0.05
    image_processing_chunks: int = 2
    stream_chunk_delay: float = 0.0
    # Real seconds every POST handler takes before answering: simulated upstream latency,
    # so tests can overlap a retry with a request still in flight.
    upstream_latency: float = 0.0
    realtime_idle_timeout: float = 30.0
    compare_model_latency_ms: int = 0


class GatewayState:
    """The gateway's shared state. Stores are thread-safe where tests touch them."""

    def __init__(
        self,
        *,
        keys: KeyRing,
        catalogue: Catalogue,
        clock: GatewayClock,
        timings: GatewayTimings,
        api_versions: tuple[str, ...] = SUPPORTED_API_VERSIONS,
        record_limit: int | None = None,
    ) -> None:
        self.keys = keys
        self.catalogue = catalogue
        self.clock = clock
        self.timings = timings
        self.api_versions = api_versions
        self.faults = FaultSet()
        self.model_faults = ModelFaultSet()
        self.log = RequestLog(record_limit)
        self.connections = ConnectionTracker()
        self.idempotency = IdempotencyStore(clock)
        self.templates = TemplateStore(clock)
        self.batches = BatchStore(clock, timings)
        self.files = FileStore(clock, timings)
        self.realtime = RealtimeLog()
        # Tier P (§7.1).
        self.transcriptions = TranscriptionStore()
        self.videos = VideoStore(clock, timings)
        self.stored_responses = ResponseStore(clock, timings)
        self.features = FeatureFlags()
        # Signs RAG upload URLs; per gateway, so a URL from one run fails on another.
        self.signing_key = secrets.token_bytes(32)

"""Stored prompt templates (protocol.md §2.10, §6.1)."""

from __future__ import annotations

from typing import Any

from ._base import RequestModel, ResultModel

__all__ = ["CreateTemplateParams", "TemplateSummary", "UpdateTemplateParams"]


class CreateTemplateParams(RequestModel):
    """The body of `POST /v1/templates` (§2.10).

    `system` and the content of each of `messages` may hold `{{var}}` slots, filled from
    the `variables` of the chat, responses or compare call that names this template (by
    its `name`, unique per owner). `params` are default inference parameters that the
    request's own fields override; `variables` here only documents the slot names.
    """

    name: str
    description: str | None = None
    system: str | None = None
    messages: list[dict[str, Any]] | None = None
    """Template messages, each `{"role": ..., "content": ...}`."""
    model: str | None = None
    params: dict[str, Any] | None = None
    variables: list[str] | None = None
    team_id: str | None = None
    """Tier P: create the template for a team rather than for the key's owner."""


class UpdateTemplateParams(RequestModel):
    """The body of `PATCH /v1/templates/{id}` (§2.10): only the fields you set are sent.

    A partial update: unset fields are left out of the body, so the stored values stay.
    """

    name: str | None = None
    description: str | None = None
    system: str | None = None
    messages: list[dict[str, Any]] | None = None
    model: str | None = None
    params: dict[str, Any] | None = None
    variables: list[str] | None = None


class TemplateSummary(ResultModel):
    """A stored template (§2.10); unknown fields such as `team_id` are kept.

    `is_global` templates are visible to everyone and read-only. `created_at` and
    `updated_at` are ISO-8601 strings.
    """

    id: str
    name: str
    is_global: bool
    created_at: str
    updated_at: str
    owner: str | None = None
    description: str | None = None
    system: str | None = None
    messages: list[dict[str, Any]] | None = None
    model: str | None = None
    params: dict[str, Any] | None = None
    variables: list[str] | None = None

"""The value types an article is made of: its content, visibility and media links."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Visibility(StrEnum):
    """Who may read an article."""

    INTERNAL = "internal"  # agents only
    PUBLIC = "public"  # customers too, once published (自助服务)
    PERSONAL = "personal"  # one agent's own notes (个人笔记)


class MediaKind(StrEnum):
    """What a media link points at; the file itself lives elsewhere, by reference."""

    ATTACHMENT = "attachment"
    VIDEO = "video"


class CaseKind(StrEnum):
    """The kinds of case an article can be used to answer."""

    TICKET = "ticket"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class MediaLink:
    """An attachment or a video, by reference (a URL or a storage key) and a caption."""

    kind: MediaKind
    reference: str
    caption: str = ""


@dataclass(frozen=True)
class ArticleContent:
    """One revision of what an article says and who may read it.

    `category` is a path of segments joined by "/" (产品/路由器/安装); `owner_id` is the agent
    a personal article belongs to, and is None for every other visibility.
    """

    title: str
    body: str  # Markdown
    category: str
    tags: tuple[str, ...]
    language: str
    visibility: Visibility
    owner_id: str | None = None
    media: tuple[MediaLink, ...] = ()
    related: tuple[UUID, ...] = ()


def category_path(text: str) -> str:
    """The category path with blank segments and stray spaces removed ("a / b/" → "a/b")."""
    return "/".join(part.strip() for part in text.split("/") if part.strip())

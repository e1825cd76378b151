from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is asking. With authentication off, everyone is an anonymous administrator."""

    name: str
    is_admin: bool
    can_enum_folders: bool = False
    can_post_folders: bool = False
    read_only: bool = False  # signed in with a read-only API token: no POST, PUT or DELETE

    @property
    def owner_filter(self) -> str | None:
        """The user name that restricts what this principal sees, or None for everything."""
        return None if self.is_admin else self.name


ANONYMOUS = Principal(name="", is_admin=True, can_enum_folders=True, can_post_folders=True)

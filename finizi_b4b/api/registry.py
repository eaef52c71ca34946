"""The company registry of the API: the record behind a tax id (MST), as the registry gives it.

``GET /api/v1/entities/{eid}/companies/{tax_code}`` (contract part B3) is
known to answer a company's ``name`` and ``address`` (Vd); anything else
(``tax_code``, ``is_branch``, ``parent_tax_code``, a status) is assumed, so a
:class:`Company` reads those as ``None`` when the answer lacks them and keeps
every field as sent. A tax id the registry does not know is a 404
(:class:`~finizi_b4b.api.errors.NotFound` with status 404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from finizi_b4b.api import fields
from finizi_b4b.api.errors import Subject
from finizi_b4b.api.fields import API
from finizi_b4b.api.records import Record
from finizi_b4b.api.transport import ApiRequest

__all__ = ["Company", "RegistryCalls", "company_subject"]


def company_subject(tax_id: str, entity_id: str) -> Subject:
    return Subject("company", (tax_id, entity_id))


@attrs.frozen
class Company(Record):
    """The registry's record of one company (or branch)."""

    what: ClassVar[str] = "registry record"

    @property
    def name(self) -> str | None:
        return fields.trimmed(self.raw.get("name"))

    @property
    def address(self) -> str | None:
        return fields.trimmed(self.raw.get("address"))

    @property
    def is_branch(self) -> bool | None:
        return fields.flag(self.raw.get("is_branch"))

    @property
    def parent_tax_code(self) -> str | None:
        return fields.trimmed(self.raw.get("parent_tax_code"))


class RegistryCalls:
    """The registry's endpoints, a part of :class:`~finizi_b4b.api.client.B4BClient`."""

    if TYPE_CHECKING:

        async def _call(self, request: ApiRequest, subject: Subject) -> Any: ...

    async def company(self, entity_id: str, tax_id: str) -> Company:
        """The registry's record for ``tax_id`` (a branch's own ``-NNN`` id gives the branch)."""
        request = ApiRequest("GET", f"{API}/entities/{entity_id}/companies/{tax_id}")
        return Company.of(await self._call(request, company_subject(tax_id, entity_id)))

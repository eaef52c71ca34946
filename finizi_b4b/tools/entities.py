"""list_entities, get_entity, create_entity, update_entity."""

from __future__ import annotations

from typing import Any

from finizi_b4b.api.errors import NotFound
from finizi_b4b.tools import ENTITY_FIELDS, messages
from finizi_b4b.tools.base import Call, Handler, list_result

__all__ = ["EntityTools"]

COMPACT = ("name", "tax_id", "address", "role")
DETAILED = ("invoice_count", "vendor_count", "product_count")


def _writable(call: Call) -> dict[str, Any]:
    return {key: call.args[key] for key in ENTITY_FIELDS if key in call.args}


class EntityTools(Handler):
    async def describe_create(self, call: Call) -> str | None:
        return messages.confirm_create(call.get("name"), call.get("tax_id"))

    async def describe_update(self, call: Call) -> str | None:
        from finizi_b4b.tools.import_checks import entity_named

        entity = await entity_named(self.client, call["entity_id"])
        return messages.confirm_update(_writable(call), entity)

    async def list_entities(self, call: Call) -> dict[str, Any]:
        detailed = bool(call.get("detailed"))
        # Always detailed=true: the API documents it as what includes the tax ids.
        entities = await self.client.my_entities(detailed=True)
        wanted = ("id", *COMPACT, *(DETAILED if detailed else ()))
        items = [entity.pick(wanted) for entity in entities]
        # The API does not page this list; it comes back whole, as one page.
        total = len(items)
        return list_result(items, page=1, page_size=max(total, 1), total=total, pages=1, has_next=False)

    async def get_entity(self, call: Call) -> dict[str, Any]:
        return {"data": (await self.client.get_entity(call["entity_id"])).as_json()}

    async def create_entity(self, call: Call) -> dict[str, Any]:
        entity = await self.client.create_entity(_writable(call))
        return {"message": messages.ENTITY_CREATED, "data": entity.as_json()}

    async def update_entity(self, call: Call) -> dict[str, Any]:
        fields = _writable(call)  # at least one: a rule of the tool
        try:
            entity = await self.client.update_entity(call["entity_id"], fields)
        except NotFound as exc:
            # The same words whether the entity is missing, another company's, or read-only to
            # this user's role, so that nothing can be probed; the hint covers the last case.
            error = messages.tool_error(exc)
            error.message += messages.ENTITY_ROLE_HINT
            raise error from None
        return {"message": messages.entity_updated(fields), "data": entity.as_json()}

"""Tokens and access: JWT-shaped bearer tokens remembered server side, and who may see which entity."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.problems import path_uuid
from finizi_b4b.sandbox.responses import dumps, error, unauthorized
from finizi_b4b.sandbox.state import State

__all__ = ["bearer", "current_user", "entity_access", "entity_for", "expire_access_tokens", "issue_tokens"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issue_tokens(request: web.Request, user_id: str) -> dict[str, Any]:
    """A new access and refresh token pair, JWT-shaped, remembered server side."""
    state, box = request.app[STATE], request.app[SETTINGS]
    now = int(time.time())

    def token(kind: str, lifetime: float) -> str:
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        claims = {
            "sub": user_id,
            "type": kind,
            "iat": now,
            "exp": now + int(lifetime),
            "jti": secrets.token_hex(8),
        }
        payload = _b64(dumps(claims).encode())
        signature = _b64(hmac.new(box.secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    access, refresh = token("access", box.token_ttl), token("refresh", 30 * 86400)
    state.access_tokens[access] = (user_id, time.monotonic() + box.token_ttl)
    state.refresh_tokens[refresh] = user_id
    state.refresh_of[access] = refresh
    state.issued_tokens += [access, refresh]
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(box.token_ttl),
        "user_id": user_id,
    }


def bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Not authenticated")
    return token.strip()


def current_user(request: web.Request) -> dict[str, Any]:
    state = request.app[STATE]
    token = bearer(request)
    found = state.access_tokens.get(token)
    if found is None:
        raise unauthorized("Could not validate credentials")
    user_id, expires_at = found
    if time.monotonic() >= expires_at:
        raise unauthorized("Token has expired")
    return state.users[user_id]


def expire_access_tokens(state: State) -> None:
    """Every access token issued so far answers 401 from now on; refresh tokens still work."""
    expired = time.monotonic() - 1
    for token, (user_id, _) in list(state.access_tokens.items()):
        state.access_tokens[token] = (user_id, expired)


def entity_for(request: web.Request, user: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The entity in the path and the user's role in it; 404 if unknown, 403 if not theirs."""
    return entity_access(request.app[STATE], user, path_uuid(request, "entity_id"))


def entity_access(state: State, user: dict[str, Any], entity_id: str) -> tuple[dict[str, Any], str]:
    entity = state.entities.get(entity_id)
    if entity is None:
        raise error(404, "Entity not found")
    role = state.role(user["id"], entity_id)
    if role is None:
        if not user["is_super_admin"]:
            raise error(403, "You do not have access to this entity")
        role = "super_admin"
    return entity, role

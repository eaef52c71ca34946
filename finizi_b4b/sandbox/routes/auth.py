"""Routes: health, login, token refresh, logout, the current user.

In minimal mode login answers only the tokens and ``user_id``, refresh only
the tokens, and ``/users/me`` only ``{"id"}`` (:mod:`finizi_b4b.sandbox.minimal`).
"""

from __future__ import annotations

import hmac

from aiohttp import web

from finizi_b4b.sandbox.context import SETTINGS, STATE
from finizi_b4b.sandbox.minimal import LOGIN_KEYS, REFRESH_KEYS, only
from finizi_b4b.sandbox.problems import Problems, object_body, string
from finizi_b4b.sandbox.responses import json_response, unauthorized
from finizi_b4b.sandbox.routes.common import API
from finizi_b4b.sandbox.seeds import normalize_phone
from finizi_b4b.sandbox.tokens import bearer, current_user, issue_tokens

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get(f"{API}/health", name="health")
async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.post(f"{API}/auth/login", name="auth.login")
async def login(request: web.Request) -> web.Response:
    body = await object_body(request)
    problems = Problems()
    phone = string(problems, body, "phone", required=True, low=1, high=20)
    password = string(problems, body, "password", required=True, low=1, high=128)
    problems.raise_any()
    state = request.app[STATE]
    user_id = state.phones.get(normalize_phone(phone or ""))
    # One answer for an unknown phone and a wrong password: the phone's existence is not revealed.
    known = state.passwords.get(user_id or "", "")
    if not hmac.compare_digest(known.encode(), (password or "").encode()) or not user_id:
        raise unauthorized("Incorrect phone number or password")
    issued = issue_tokens(request, user_id)
    return json_response(only(issued, LOGIN_KEYS) if request.app[SETTINGS].minimal else issued)


@routes.post(f"{API}/auth/refresh", name="auth.refresh")
async def refresh(request: web.Request) -> web.Response:
    body = await object_body(request)
    problems = Problems()
    token = string(problems, body, "refresh_token", required=True, low=1, high=4096)
    problems.raise_any()
    state = request.app[STATE]
    user_id = state.refresh_tokens.pop(token or "", None)  # rotation: the old one stops working
    if user_id is None:
        raise unauthorized("Invalid or expired refresh token")
    issued = issue_tokens(request, user_id)
    kept = ("access_token", "refresh_token", "token_type", "expires_in")
    return json_response(only(issued, REFRESH_KEYS if request.app[SETTINGS].minimal else kept))


@routes.post(f"{API}/auth/logout", name="auth.logout")
async def logout(request: web.Request) -> web.Response:
    current_user(request)
    state = request.app[STATE]
    token = bearer(request)
    state.access_tokens.pop(token, None)
    state.refresh_tokens.pop(state.refresh_of.pop(token, ""), None)
    return json_response({"message": "Successfully logged out"})


@routes.get(f"{API}/users/me", name="users.me")
async def me(request: web.Request) -> web.Response:
    user = current_user(request)
    return json_response({"id": user["id"]} if request.app[SETTINGS].minimal else user)

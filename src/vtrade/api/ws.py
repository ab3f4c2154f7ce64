"""The native WebSocket `/api/v1/ws`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""The local invoice files a recorded session read, written again so that its calls can be replayed.

A recording does not keep the files named by ``file_path`` and ``file_paths``:
it keeps what was uploaded (``upload.text`` of an exchange). :class:`RecordedFiles`
gathers those texts from a whole session, by the path a call named, and writes
each once into a working folder. So a preview of a file that a later call of
the same session imported replays too, and so does a batch. A replayed call's
arguments name the copies; its result is given back the recorded paths before
it is compared, since the result may name the files it read.

A file that was never uploaded in its session (a lone preview) cannot be
written again: its call replays against the original path, which is usually
gone, and is reported as differing.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any

__all__ = ["RecordedFiles"]


def _named_paths(arguments: dict[str, Any]) -> list[str]:
    single = arguments.get("file_path")
    batch = arguments.get("file_paths")
    paths = [single] if isinstance(single, str) else []
    if isinstance(batch, list):
        paths += [p for p in batch if isinstance(p, str)]
    return paths


def _escaped(text: str) -> str:
    """``text`` as it reads inside a JSON string (the result text is JSON)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


class RecordedFiles:
    """Path named in a session -> a copy of what was uploaded from it, written under ``workdir``."""

    def __init__(self, session: list[dict[str, Any]], workdir: Path) -> None:
        self.copies: dict[str, str] = {}
        for call in session:
            named = [p for p in _named_paths(call["arguments"]) if p not in self.copies]
            for exchange in call["exchanges"]:
                upload = exchange["request"].get("upload")
                if not upload or "text" not in upload:
                    continue
                path = next((p for p in named if PurePath(p).name == upload.get("filename")), None)
                if path is None or Path(path).exists():
                    continue
                named.remove(path)
                copy = workdir / str(len(self.copies) + 1) / PurePath(path).name
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(upload["text"].encode("utf-8"))
                self.copies[path] = str(copy)

    def arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments with every recorded path that has a copy naming the copy."""
        out = dict(arguments)
        if isinstance(out.get("file_path"), str):
            out["file_path"] = self.copies.get(out["file_path"], out["file_path"])
        if isinstance(out.get("file_paths"), list):
            out["file_paths"] = [self.copies.get(p, p) for p in out["file_paths"]]
        return out

    def result(self, result: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
        """A replayed result naming the recorded paths again, wherever it names a copy."""
        swaps = {copy: path for path, copy in self.copies.items() if path in _named_paths(arguments)}
        if not swaps:
            return result
        out = dict(result)
        if "structuredContent" in out:
            out["structuredContent"] = _swap_leaves(out["structuredContent"], swaps)
        blocks = []
        for block in out.get("content", []):
            if isinstance(block.get("text"), str):
                text = block["text"]
                for copy, path in swaps.items():
                    text = text.replace(_escaped(copy), _escaped(path))
                block = {**block, "text": text}
            blocks.append(block)
        if "content" in out:
            out["content"] = blocks
        return out


def _swap_leaves(value: Any, swaps: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _swap_leaves(v, swaps) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap_leaves(v, swaps) for v in value]
    if isinstance(value, str):
        for copy, path in swaps.items():
            value = value.replace(copy, path)
    return value

"""The rules of check-schemas, one module per family; each rule yields :class:`~finizi_b4b.checks.Problem`.

- ``tool``: one tool file as an MCP tool (name, keys, title, description, hints);
- ``schema``: its input and output schemas as portable JSON Schema 2020-12;
- ``inputs``: what the server's argument validator needs (closed, bounded, described inputs; ids);
- ``patterns``: no pattern that can take exponential time;
- ``corpus``: files beside the schemas (handlers, examples, case files, cassettes) agree with them;
- ``served``: what tools/list serves, against its byte budget and the snapshot.
"""

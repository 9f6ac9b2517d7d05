"""The language server's parts: diagnostics as LSP JSON and the fast start (no pygls), the checking and scheduling,
code actions and hover (on pygls); server.py wires them to the protocol."""

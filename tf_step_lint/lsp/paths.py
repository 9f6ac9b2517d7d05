"""Documents' URIs as the files the analysis reads, without pygls: the fast start and the server must name a
buffer's file alike."""
import os
import re
from typing import List
from urllib.parse import unquote, urlparse


def path_of(uri: str) -> str:
    """The file of ``uri``; a document that is no file (``untitled:``) is checked as a file of the current folder."""
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        path = unquote(parsed.path)
        if parsed.netloc:  # file://server/share/...
            path = f"//{parsed.netloc}{path}"
        return os.path.abspath(path)
    return os.path.join(os.getcwd(), re.sub(r"\W", "_", uri.split(":")[-1]) + ".py")


def workspace_folders(params: dict) -> List[str]:
    """The folders of ``initialize``'s params: its workspace folders, else its root."""
    folders = [path_of(folder["uri"]) for folder in params.get("workspaceFolders") or []]
    if not folders and params.get("rootUri"):
        folders = [path_of(params["rootUri"])]
    return folders

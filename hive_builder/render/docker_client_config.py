"""Pure: the admin's ~/.docker/config.json with the proxy settings of the server's environment
(reference §6.2 docker-client-proxy). Other keys (auths written by `docker login`) are kept."""

from __future__ import annotations

import json


def proxies_from_env(env: dict) -> dict:
    def pick(*names):
        for n in names:
            if env.get(n):
                return env[n]
        return None
    proxies = {"httpProxy": pick("HTTP_PROXY", "http_proxy"),
               "httpsProxy": pick("HTTPS_PROXY", "https_proxy"),
               "noProxy": pick("NO_PROXY", "no_proxy")}
    return {k: v for k, v in proxies.items() if v}


def with_proxies(existing_json: str | None, env: dict) -> str:
    """Text of config.json after merging `proxies.default`; same text shape on every run, so an
    unchanged result means no change on the server."""
    config = json.loads(existing_json) if existing_json and existing_json.strip() else {}
    proxies = proxies_from_env(env)
    if proxies:
        config.setdefault("proxies", {})["default"] = proxies
    return json.dumps(config, indent=2, sort_keys=True) + "\n"

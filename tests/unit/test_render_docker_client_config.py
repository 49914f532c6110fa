import json

from hive_builder.render.docker_client_config import with_proxies


def test_proxies_merged_and_auths_kept():
    existing = json.dumps({"auths": {"r:5000": {"auth": "x"}}})
    out = json.loads(with_proxies(existing, {"HTTP_PROXY": "http://p:3128", "no_proxy": "localhost"}))
    assert out["auths"] == {"r:5000": {"auth": "x"}}
    assert out["proxies"]["default"] == {"httpProxy": "http://p:3128", "noProxy": "localhost"}


def test_result_is_a_fixed_point():
    once = with_proxies(None, {"HTTPS_PROXY": "http://p:3128"})
    assert with_proxies(once, {"HTTPS_PROXY": "http://p:3128"}) == once


def test_no_proxy_env_adds_nothing():
    assert json.loads(with_proxies("", {})) == {}

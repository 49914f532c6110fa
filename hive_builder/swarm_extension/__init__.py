"""Swarm extension: the follow-swarm-service daemon run on every hive (manual chapter 9).

Self-contained on purpose (imports nothing else from hive_builder), so the setup-hosts phase can
install this directory alone and run it with the host's python3 and python3-docker (5.0.3 on
Debian 12): `python3 -m swarm_extension.follow_swarm_service`.
"""

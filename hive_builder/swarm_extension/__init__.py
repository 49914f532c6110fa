"""Swarm extension: the follow-swarm-service daemon run on every hive (manual chapter 9).

Self-contained on purpose (imports nothing else from hive_builder), so the setup-hosts phase can
install this directory alone and run it with the host's python3 and python3-docker (5.0.3 on
Debian 12). Host packages: python3-docker, iproute2, iputils-arping, iputils-ping, iptables.
Suggested unit (restart delay as the original's):

    [Unit]
    Description=hive swarm extension (VIPs, node labels, NAT follow service tasks)
    After=docker.service
    Requires=docker.service
    [Service]
    Environment=PYTHONPATH=/usr/local/lib/hive HIVE_LOG_LEVEL=INFO
    ExecStart=/usr/bin/python3 -m swarm_extension.follow_swarm_service
    Restart=always
    RestartSec=15
    [Install]
    WantedBy=multi-user.target

(with this directory copied to /usr/local/lib/hive/swarm_extension). State: /run/follow-swarm-service/.
"""

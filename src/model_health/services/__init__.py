"""The services a notebook runs as they run at work, each a real process, store or format.

- ``serving``: the model server (FastAPI) and ``LocalServer``; ``webhooks``: the alert receiver and sender.
- ``monitor_job``: the scheduled monitoring job; ``observability``: the fleet's store, metric SQL, SLOs.
- ``alert_routing``: Alertmanager-format routing, grouping and inhibition; ``governance``: the risk policy and gate.
- ``policy/``: their configuration as data (the risk policy, Alertmanager routing) and its JSON Schemas.
"""

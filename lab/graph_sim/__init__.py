"""The lab's Microsoft Graph simulator (OAuth token endpoint, the Graph paths the product uses, test knobs)
and the App Proxy front that forwards published external URLs to their internal URLs.

`python -m lab.graph_sim serve|up|down`; `lab.graph_sim.control` for tests (up/down/admin calls).
"""
